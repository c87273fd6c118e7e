/** examples/library/*.ts run as written (their `tradelab` import resolves to the sources here). */
import { cpSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const dir = path.join(repoRoot, "examples", "library");

function sampleStore(): string {
  const store = path.join(tempDir("tradelab-examples-"), "store");
  cpSync(path.join(repoRoot, "data", "store"), store, { recursive: true });
  return store;
}

describe("examples/library", () => {
  it("has examples, each exporting main(store)", () => {
    expect(readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()).toEqual(["backtest.ts", "sweep.ts"]);
  });

  it("backtest.ts: an honest (lag 1) backtest on the bundled sample", async () => {
    const { main } = await import("../../examples/library/backtest.js");
    const r = await main(sampleStore());
    expect(r.trades).toBeGreaterThan(0);
    expect(r.label).toMatch(/^lag 1 · cross 5 bps/);
  });

  it("sweep.ts: a 12-row grid with its in-sample best row", async () => {
    const { main } = await import("../../examples/library/sweep.js");
    const r = await main(sampleStore());
    expect(r.rows).toBe(12);
    expect(r.best).toMatch(/^row \d+/);
  });
});
