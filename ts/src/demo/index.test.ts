import { describe, expect, it } from "vitest";
import { staleReason } from "./index.js";

describe("demo stage caches", () => {
  it("reuse a cache only when the code version and the params hash both match", () => {
    const key = { code: "0.1.0+abc1234", params: "p1" };
    expect(staleReason(key, { ...key })).toBeNull();
    expect(staleReason(key, { ...key, params: "p2" })).toBe("cache stale: params changed");
    expect(staleReason(key, { code: "0.1.0+def5678", params: "p2" })).toBe("cache stale: code changed (0.1.0+abc1234 -> 0.1.0+def5678)");
    // An older demo's state recorded neither.
    expect(staleReason(undefined, key)).toMatch(/^cache stale: no code version or params recorded/);
    expect(staleReason({ trainKey: "x" } as unknown as typeof key, key)).toMatch(/^cache stale/);
  });
});
