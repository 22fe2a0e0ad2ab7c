/**
 * Change generations (CONTEXT.md): a dev server's count of "something changed" (a watched file, an
 * HMR message), announced by the client over its authenticated session so the shard's edge cache
 * can answer revalidatable entries without asking the laptop while the count stays put.
 */

/**
 * Response header the client sets on answers its dev server vouches for (a module only a watched
 * file can change), valued with the generation it answered under. Only the shard reads it and
 * strips it; visitors never set or see it.
 */
export const GENERATION_HEADER = "x-captun-generation";

/** The RPC a generation-aware server adds to `TunnelServerApi`; servers without it answer with an error. */
export interface GenerationServerApi {
  /** The client's generation is now `generation`: nothing validated under an earlier one is current. */
  changed(generation: number): void;
}

/** Whether `value` is a generation a client may announce. */
export function isGeneration(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
