// The shard's guessing budgets in isolation: how visitors are keyed and how budgets refill.
import { describe, expect, it } from "vitest";
import { FailureBudget, visitorKey } from "../../../worker/src/failure-budget.ts";

describe("visitorKey", () => {
  it("keys IPv4 by address and IPv6 by /64, however the address is written", () => {
    expect(visitorKey("203.0.113.7")).toBe("203.0.113.7");
    expect(visitorKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    const key = visitorKey("2001:db8:1:2:3:4:5:6");
    expect(key).toBe("2001:db8:1:2::/64");
    for (const same of ["2001:db8:1:2::1", "2001:DB8:0001:0002:ffff::", "2001:db8:1:2:aaaa:bbbb:cccc:dddd"])
      expect(visitorKey(same)).toBe(key);
    expect(visitorKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(visitorKey("2001:db8:1:3::1")).not.toBe(key);
  });
});

describe("FailureBudget", () => {
  it("allows `limit` failures at once, then one more every window / limit", () => {
    const budget = new FailureBudget(2, 1_000);
    budget.spend("a", 0);
    expect(budget.waitMs("a", 0)).toBe(0);
    budget.spend("a", 0);
    expect(budget.waitMs("a", 0)).toBe(500);
    expect(budget.waitMs("a", 400)).toBe(100);
    expect(budget.waitMs("a", 500)).toBe(0);
    expect(budget.waitMs("b", 0)).toBe(0);
    budget.spend("a", 500);
    expect(budget.waitMs("a", 600)).toBe(400);
  });

  it("gives back a failure spent ahead of a check that succeeded", () => {
    const budget = new FailureBudget(1, 1_000);
    budget.spend("a", 0);
    expect(budget.waitMs("a", 0)).toBe(1_000);
    budget.refund("a", 0);
    expect(budget.waitMs("a", 0)).toBe(0);
  });
});
