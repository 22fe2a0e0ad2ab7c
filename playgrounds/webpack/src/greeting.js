export const greeting = "Hello from the captun webpack playground";
