/**
 * `tradelab walk-forward` end to end on the shared SOL/USDT history: the example config runs,
 * every fold's choice is honest, the chained out-of-sample curve is what the table says, the span
 * stops before the test split, the run is recorded, and the same config gives the same result.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, sharedData, tempDir } from "../src/testing/paths.js";

interface Fold {
  index: number;
  inSample: { from: number; to: number; bars: number };
  oos: { from: number; to: number; bars: number };
  params: { decisionLag: number };
  label: { optimistic: boolean };
  oosMetrics: { totalReturn: number };
}

describe("tradelab walk-forward", () => {
  it("walks the example config forward on SOL/USDT, deterministically, and records the run", async () => {
    const store = tempDir();
    const file = path.join(sharedData(), "binance_roshan7869_algotrading/spot_1h/SOL_USDT-1h.feather");
    expect((await runCli(["data", "import", file, "--symbol", "SOL/USDT", "--interval", "1h", "--store", store, "--json"])).code).toBe(0);
    const dir = tempDir();
    const cfg = path.join(dir, "wf.json");
    copyFileSync(path.join(repoRoot, "examples/walk-forward-sol.json"), cfg);
    const reg = path.join(dir, "runs.sqlite");
    const a = await runCli(["walk-forward", "--config", cfg, "--store", store, "--registry", reg, "--json"]);
    expect(a.stderr).toBe("");
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout) as { folds: Fold[]; trials: number; span: string; last: number; curveEquity: number[]; oos: { totalReturn: number; startEquity: number }; pbo: number | null; runId: string; seconds: number };
    expect(j.trials).toBe(4 * 4 * 2 * 2);
    expect(j.span).toBe("before test");
    expect(j.folds.length).toBeGreaterThan(20);
    let growth = 1;
    for (const f of j.folds) {
      expect(f.label.optimistic).toBe(false);
      expect(f.params.decisionLag).toBe(1);
      expect(f.inSample.to + 24 * 3_600_000).toBe(f.oos.from);
      growth *= 1 + f.oosMetrics.totalReturn;
    }
    // The chained curve compounds the folds' out-of-sample returns.
    expect(j.oos.totalReturn).toBeCloseTo(growth - 1, 9);
    expect(j.curveEquity[j.curveEquity.length - 1]! / j.oos.startEquity - 1).toBeCloseTo(j.oos.totalReturn, 12);
    // The last stored bar is 2025-12-31 23:00: the default 20-day test split is never walked.
    expect(j.last).toBeLessThan(Date.parse("2025-12-12T00:00:00Z"));
    const again = await runCli(["walk-forward", "--config", cfg, "--store", store, "--no-record", "--json"]);
    const k = JSON.parse(again.stdout) as typeof j;
    expect({ ...k, seconds: 0, runId: "" }).toEqual({ ...j, seconds: 0, runId: "" });

    const shown = JSON.parse((await runCli(["runs", "show", j.runId, "--registry", reg, "--json"])).stdout) as { kind: string; metrics: { folds: number; pbo: number | null } };
    expect(shown.kind).toBe("walk-forward");
    expect(shown.metrics.folds).toBe(j.folds.length);

    const human = await runCli(["walk-forward", "--config", cfg, "--store", store, "--no-record"]);
    expect(human.stdout).toContain("out-of-sample, chained");
    expect(human.stdout).toContain("walk-forward PBO");
    expect(human.stdout).toContain("selection window");
  });

  it("refuses a config with a typo and a span with no room for a fold", async () => {
    const dir = tempDir();
    const cfg = path.join(dir, "wf.json");
    const base = JSON.parse(readFileSync(path.join(repoRoot, "examples/walk-forward-sol.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(cfg, JSON.stringify({ ...base, gird: {} }));
    const bad = await runCli(["walk-forward", "--config", cfg, "--store", path.join(repoRoot, "data/store"), "--no-record"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown key(s) "gird"');
    writeFileSync(cfg, JSON.stringify({ ...base, folds: { mode: "rolling", inSampleDays: 400, oosDays: 30 } }));
    const short = await runCli(["walk-forward", "--config", cfg, "--store", path.join(repoRoot, "data/store"), "--no-record"]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("no fold fits");
  });
});
