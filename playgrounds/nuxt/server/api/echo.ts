// An API route: what Nitro sees of the request (URL, visitor address), and a POST body reversed.
export default defineEventHandler(async (event) => {
  if (event.method === "POST") {
    const text = (await readRawBody(event, "utf8")) ?? "";
    return { received: text.length, reversed: [...text].reverse().join("") };
  }
  return { url: getRequestURL(event).href, clientAddress: getRequestIP(event) ?? null };
});
