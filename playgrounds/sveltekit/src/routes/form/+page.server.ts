import type { Actions } from "./$types";

// A form action: SvelteKit checks the request's Origin against the URL it sees (CSRF protection).
export const actions: Actions = {
  default: async ({ request }) => {
    const data = await request.formData();
    return { echoed: String(data.get("message") ?? "").toUpperCase() };
  },
};
