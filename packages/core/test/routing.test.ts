import { describe, expect, it } from "vitest";
import { canonicalizeTunnelName, getTunnelNameFromUrl, shardIndexFor, tunnelUrlFor } from "../src/routing.ts";

describe("tunnel names", () => {
  it.each([
    ["abc", "abc"],
    ["MyApp", "myapp"],
    ["a", "a"],
    ["a-b-9", "a-b-9"],
    ["x".repeat(63), "x".repeat(63)],
  ])("accepts %s as %s", (input, expected) => {
    expect(canonicalizeTunnelName(input)).toBe(expected);
  });

  it.each(["", "-a", "a-", "a_b", "a.b", "x".repeat(64), "ä", "a b", "a%2fb"])("rejects %j", (input) => {
    expect(canonicalizeTunnelName(input)).toBeUndefined();
  });
});

describe("folder routing", () => {
  it("takes the first segment as the name and strips it", () => {
    expect(getTunnelNameFromUrl("https://s.example/app/a/b?c=d")).toEqual({ name: "app", pathAndQuery: "/a/b?c=d" });
  });
  it("maps the bare folder to /", () => {
    expect(getTunnelNameFromUrl("https://s.example/app")).toEqual({ name: "app", pathAndQuery: "/" });
    expect(getTunnelNameFromUrl("https://s.example/app?x=1")).toEqual({ name: "app", pathAndQuery: "/?x=1" });
  });
  it("canonicalises the name", () => {
    expect(getTunnelNameFromUrl("https://s.example/App/x")?.name).toBe("app");
    expect(getTunnelNameFromUrl("https://s.example/%61pp/x")?.name).toBe("app");
  });
  it("keeps the rest of the path byte for byte", () => {
    expect(getTunnelNameFromUrl("https://s.example/app/%2F%25x;y/?q=%20&r")?.pathAndQuery).toBe("/%2F%25x;y/?q=%20&r");
  });
  it("treats missing, malformed and badly encoded names as no tunnel", () => {
    for (const url of ["https://s.example/", "https://s.example/-x/", "https://s.example/%E0%A4%A/x", "https://s.example/a_b/"]) {
      expect(getTunnelNameFromUrl(url)).toBeUndefined();
    }
  });
});

describe("subdomain routing", () => {
  it("takes the last label before the custom hostname", () => {
    expect(getTunnelNameFromUrl("https://app.tun.example.com/x?y", "tun.example.com")).toEqual({ name: "app", pathAndQuery: "/x?y" });
    expect(getTunnelNameFromUrl("https://ignored.app.tun.example.com/", "tun.example.com")?.name).toBe("app");
    expect(getTunnelNameFromUrl("https://APP.localhost:8787/", "localhost")?.name).toBe("app");
  });
  it("does not strip anything from the path", () => {
    expect(getTunnelNameFromUrl("https://app.example.com/app/x", "example.com")?.pathAndQuery).toBe("/app/x");
  });
  it("rejects other hosts and the bare custom hostname", () => {
    expect(getTunnelNameFromUrl("https://example.com/", "example.com")).toBeUndefined();
    expect(getTunnelNameFromUrl("https://app.other.com/", "example.com")).toBeUndefined();
    expect(getTunnelNameFromUrl("https://xn--bcher-kva.example.com/", "example.com")?.name).toBe("xn--bcher-kva");
  });
  it("accepts the wildcard form of the setting", () => {
    expect(getTunnelNameFromUrl("https://app.example.com/", "*.example.com")?.name).toBe("app");
  });
});

describe("public URLs", () => {
  it("builds folder and subdomain URLs", () => {
    expect(tunnelUrlFor("https://captun.me.workers.dev", "app")).toBe("https://captun.me.workers.dev/app");
    expect(tunnelUrlFor("http://localhost:8787", "app", "localhost")).toBe("http://app.localhost:8787");
  });
});

describe("sharding", () => {
  it("is stable and spreads names over all shards", () => {
    expect(shardIndexFor("app", 8)).toBe(shardIndexFor("app", 8));
    expect(shardIndexFor("anything", 1)).toBe(0);
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardIndexFor(`name-${i}`, 8)]++;
    for (const count of counts) {
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1200);
    }
  });
});
