"use server";

import { revalidatePath } from "next/cache";
import { entries } from "./entries.ts";

export async function sign(formData: FormData): Promise<void> {
  const name = String(formData.get("name") ?? "").trim();
  if (name) entries.push({ id: entries.length + 1, name });
  revalidatePath("/guestbook");
}
