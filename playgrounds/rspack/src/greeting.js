export const greeting = "Hello from the captun Rspack playground";
