// In memory: the playground shows that the Server Action ran, not how to store data.
export const entries: { id: number; name: string }[] = [];
