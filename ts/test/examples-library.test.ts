/** examples/library/*.ts run as written (their `tradelab` import resolves to the sources here). */
import { cpSync, existsSync, readdirSync } from "node:fs";
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
    expect(readdirSync(dir).filter((f) => f.endsWith(".ts")).sort()).toEqual(["backtest.ts", "study.ts", "sweep.ts"]);
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

  it("study.ts: a 12-trial TPE study on the train split, recorded with its Optuna journal", async () => {
    const { main } = await import("../../examples/library/study.js");
    const dir = tempDir("tradelab-study-example-");
    const r = await main(sampleStore(), dir);
    expect(r.trials).toBe(12);
    expect(Number.isFinite(r.best)).toBe(true);
    expect(Object.keys(r.params ?? {}).sort()).toEqual(["fast", "slow"]);
    expect(existsSync(path.join(dir, "ema-sol-example.optuna-journal.log"))).toBe(true);
  });
});
