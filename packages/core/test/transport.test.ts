import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage } from "../src/transport.ts";

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
