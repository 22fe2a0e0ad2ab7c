// The visitor's `Accept-Encoding`, read by the shard (hop-decoding.ts). No imports: tests run it in Node.
/** Whether an `Accept-Encoding` value allows gzip (RFC 9110 §12.5.3: `gzip`, `x-gzip` or `*` with q > 0). */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  let gzip: number | undefined;
  let any: number | undefined;
  for (const item of (acceptEncoding ?? "").split(",")) {
    const [raw = "", ...params] = item.toLowerCase().split(";");
    const coding = raw.trim();
    const q = params.map((param) => param.trim()).find((param) => param.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding === "gzip" || coding === "x-gzip") gzip = weight;
    else if (coding === "*") any = weight;
  }
  return (gzip ?? any ?? 0) > 0;
}
