import type { PageServerLoad } from "./$types";

// Runs on the server for every request: proves SSR sees the public origin.
export const load: PageServerLoad = ({ url }) => ({ origin: url.origin });
