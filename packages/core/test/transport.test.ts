import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage, encodeMessageParts } from "../src/transport.ts";

function roundTrip(tree: unknown): unknown {
  const encoded = encodeMessage(tree);
  if (typeof encoded === "string") return decodeMessage(encoded);
  const copy = encoded.slice().buffer;
  return decodeMessage(copy);
}

describe("transport framing", () => {
  it("sends messages without bytes as JSON text", () => {
    expect(encodeMessage(["push", ["pipeline", 0, ["fetch"]]])).toBe('["push",["pipeline",0,["fetch"]]]');
  });

  it("carries byte arrays raw in one binary frame", () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = Buffer.from("héllo");
    const encoded = encodeMessage(["stream", ["bytes", a], { x: ["bytes", b] }]);
    expect(encoded).toBeInstanceOf(Uint8Array);
    const decoded = roundTrip(["stream", ["bytes", a], { x: ["bytes", b] }]) as [string, [string, Uint8Array], { x: [string, Uint8Array] }];
    expect([...decoded[1][1]]).toEqual([1, 2, 3]);
    expect(Buffer.from(decoded[2].x[1]).toString()).toBe("héllo");
  });

  it("can hand body bytes to the socket as fragments without copying them", () => {
    const body = new Uint8Array([4, 5, 6]);
    const parts = encodeMessageParts(["stream", ["bytes", body]]);
    expect(Array.isArray(parts)).toBe(true);
    expect((parts as Uint8Array[])[1]).toBe(body);
    const joined = Buffer.concat(parts as Uint8Array[]);
    expect(joined.equals(Buffer.from(encodeMessage(["stream", ["bytes", body]]) as Uint8Array))).toBe(true);
    const decoded = decodeMessage(joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength)) as [
      string,
      [string, Uint8Array],
    ];
    expect([...decoded[1][1]]).toEqual([4, 5, 6]);
  });

  it("keeps empty byte arrays and type tags", () => {
    const decoded = roundTrip(["bytes", new Uint8Array(0), "Int8Array"]) as [string, Uint8Array, string];
    expect(decoded[1].byteLength).toBe(0);
    expect(decoded[2]).toBe("Int8Array");
  });

  it("leaves escaped literal arrays that look like byte references alone", () => {
    const tree = [["bytes", [[1, 2]]]];
    expect(roundTrip([tree, ["bytes", new Uint8Array([9])]])).toEqual([tree, ["bytes", new Uint8Array([9])]]);
  });
});
