import { useEffect, useState } from "react";
import { Form, useActionData } from "react-router";

// A form action: runs on the server for the POST, in the browser's navigation or as a plain form post.
export async function action({ request }: { request: Request }) {
  const data = await request.formData();
  return { echoed: String(data.get("message") ?? "").toUpperCase() };
}

export default function FormPage() {
  const result = useActionData<typeof action>();
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return (
    <Form method="post" data-hydrated={hydrated}>
      <input id="message" name="message" />
      <button id="send" type="submit">
        Send
      </button>
      <p id="echoed">{result?.echoed ?? ""}</p>
    </Form>
  );
}
