/**
 * `tradelab select` end to end on the bundled sample: a one-symbol selector with the same entry
 * and exit rules equals the single-asset backtest; the seed's fillable-only and same-bar re-entry
 * modes are labelled OPTIMISTIC and differ from the honest default; bad input names the field.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

// A private copy: a selector run writes forecast caches into its store.
const store = path.join(tempDir(), "store");
cpSync(path.join(repoRoot, "data/store"), store, { recursive: true });
const example = JSON.parse(readFileSync(path.join(repoRoot, "examples/select-crypto.json"), "utf8")) as Record<string, unknown>;

interface Out {
  financing: number;
  label: { optimistic: boolean; text: string; cautions: string[] };
  metrics: { totalReturn: number; tradeCount: number; sortino: number };
  instruments: { symbol: string; trades: number; exposure: number }[];
  curveEquity: number[];
}

async function select(cfg: Record<string, unknown>): Promise<{ code: number; out: Out | null; stderr: string }> {
  const file = path.join(tempDir(), "select.json");
  writeFileSync(file, JSON.stringify(cfg));
  const r = await runCli(["select", "--config", file, "--store", store, "--no-record", "--json"]);
  return { code: r.code, out: r.code === 0 ? (JSON.parse(r.stdout) as Out) : null, stderr: r.stderr };
}

describe("tradelab select", () => {
  it("one symbol, enter whenever flat, exit at the sell limit = the single-asset backtest", async () => {
    const cfg = { ...example, symbols: ["SOL/USDT"], from: "2024-03-01", to: "2024-06-01", params: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001 }, edge: { mode: "high_low", minEdge: -1e9 } };
    const s = await select(cfg);
    expect(s.stderr).toBe("");
    const b = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--strategy", "band", "--buy-offset", "0.004", "--sell-offset", "0.006", "--buy-frac", "1", "--sell-frac", "1", "--from", "2024-03-01", "--to", "2024-06-01", "--no-record", "--json"]);
    const bt = JSON.parse(b.stdout) as { metrics: Out["metrics"] };
    expect(s.out?.metrics.tradeCount).toBe(bt.metrics.tradeCount);
    expect(s.out?.metrics.totalReturn).toBe(bt.metrics.totalReturn);
    expect(bt.metrics.tradeCount).toBeGreaterThan(50);
  });

  it("the seed's fillable-only mode is OPTIMISTIC and differs from the honest default", async () => {
    const honest = await select(example);
    const opt = await select({ ...example, selectFillableOnly: true });
    expect(honest.out?.label.optimistic).toBe(false);
    expect(opt.out?.label.optimistic).toBe(true);
    expect(opt.out?.label.text).toContain("OPTIMISTIC (fillable lookahead");
    expect(opt.out?.metrics.totalReturn).not.toBe(honest.out?.metrics.totalReturn);
    const steal = await select({ ...example, edge: { mode: "high_low", minEdge: 0.008 }, workStealing: { minProfit: 0.001, minEdge: 0.01 } });
    expect(steal.out?.label.optimistic).toBe(false);
    expect(steal.stderr).toBe("");
    // The seed's allow_reentry_same_bar: labelled, and on this sample it flatters a losing band a lot.
    const again = await select(JSON.parse(readFileSync(path.join(repoRoot, "examples/select-reentry.json"), "utf8")) as Record<string, unknown>);
    expect(again.stderr).toBe("");
    expect(again.out?.label.optimistic).toBe(true);
    expect(again.out?.label.text).toContain("OPTIMISTIC (same-bar re-entry");
    expect(again.out?.metrics.tradeCount).toBeGreaterThan(honest.out?.metrics.tradeCount ?? Infinity);
    expect(again.out?.metrics.totalReturn).toBeGreaterThan(honest.out?.metrics.totalReturn ?? Infinity);
    const dip = await select({ ...example, dipThresholdPct: 0.01 });
    expect(dip.out?.label.text).toContain("OPTIMISTIC (dip filter 0.01");
    expect(dip.out?.metrics.tradeCount).toBeLessThan(honest.out?.metrics.tradeCount ?? 0);
    // Per-symbol breakdown: every symbol is listed with its share of time held.
    expect(honest.out?.instruments.map((x) => x.symbol)).toEqual(["BTC/USDT", "ETH/USDT", "LINK/USDT", "SOL/USDT"]);
    const held = (honest.out?.instruments ?? []).reduce((a, x) => a + x.exposure, 0);
    expect(held).toBeLessThanOrEqual(1 + 1e-12);
  });

  it("shorts are off by default; allowed, they enter by the mirrored edge and pay borrow", async () => {
    const long = await select(example);
    const both = await select({ ...example, shorts: { borrowRate: 0.05 } });
    expect(both.stderr).toBe("");
    expect(long.out?.financing).toBe(0);
    expect(long.out?.label.text).not.toContain("shorts:");
    expect(both.out?.label.text).toContain("shorts: BTC/USDT, ETH/USDT, LINK/USDT, SOL/USDT (borrow 5%/yr)");
    expect(both.out?.financing).toBeGreaterThan(0);
    expect(both.out?.metrics.tradeCount).not.toBe(long.out?.metrics.tradeCount);
    const free = await select({ ...example, shorts: { symbols: ["SOL/USDT"], borrowRate: 0 } });
    expect(free.out?.label.cautions.join(" ")).toContain("borrow at 0");
    const bad = await select({ ...example, shorts: { symbols: ["DOGE/USDT"], borrowRate: 0.05 } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/shorts\.symbols.*DOGE\/USDT/);
  });

  it("a selector of your own from a module: the CLI runs it, sweep workers import it per row", async () => {
    const custom = JSON.parse(readFileSync(path.join(repoRoot, "examples/select-custom.json"), "utf8")) as Record<string, unknown> & { selector: Record<string, unknown> };
    const mod = path.join(repoRoot, "examples/selectors/rotate.js");
    const cfg = { ...custom, selector: { ...custom.selector, module: mod } };
    const one = await select(cfg);
    expect(one.stderr).toBe("");
    const r = one.out as Out & { selector: string };
    expect(r.selector).toContain("rotate into the best predicted upside >= 0.01");
    expect(r.metrics.tradeCount).toBeGreaterThan(10);
    const builtIn = await select({ ...cfg, selector: undefined });
    expect(builtIn.out?.metrics.totalReturn).not.toBe(r.metrics.totalReturn);
    const sweep = await select({ ...cfg, grid: { minEdge: [0.008, 0.01] } });
    expect(sweep.stderr).toBe("");
    const rows = (sweep.out as unknown as { rows: { selector: string; metrics: Out["metrics"] }[] }).rows;
    expect(rows.map((x) => x.selector.split(" (")[0])).toEqual(["rotate into the best predicted upside >= 0.008", "rotate into the best predicted upside >= 0.01"]);
    expect(rows[1]?.metrics.totalReturn).toBe(r.metrics.totalReturn);
    const bad = await select({ ...cfg, selector: { module: mod, export: "nope" } });
    expect(bad.stderr).toMatch(/selector\.module: .*rotate\.js has no function export "nope" \(exports: createSelector\)/);
  });

  it("a selector sweep runs every grid point on worker threads; the best row is honest and deflated", async () => {
    const file = path.join(tempDir(), "sweep.json");
    writeFileSync(file, JSON.stringify({ ...example, grid: { minEdge: [0.004, 0.012], decisionLag: [1, 0] } }));
    const r = await runCli(["select", "--config", file, "--store", store, "--no-record", "--json"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout) as { rows: { index: number; values: Record<string, number>; optimistic: boolean; metrics: Out["metrics"] }[]; best: { index: number; selection: string }; overfit: { deflated: { trials: number } }; threads: number; rowsPerSecond: number };
    expect(j.rows.length).toBe(4);
    expect(j.rows.map((x) => x.optimistic)).toEqual([false, true, false, true]);
    const best = j.rows[j.best.index];
    expect(best?.optimistic).toBe(false);
    expect(best?.metrics.sortino).toBe(Math.max(...j.rows.filter((x) => !x.optimistic).map((x) => x.metrics.sortino)));
    expect(j.best.selection).toContain("2 optimistic rows excluded");
    expect(j.overfit.deflated.trials).toBe(2);
    expect(j.threads).toBeGreaterThanOrEqual(1);
    // Each row is the same run as a plain select with that grid point.
    const one = await select({ ...example, edge: { ...(example.edge as object), minEdge: 0.012 }, params: { ...(example.params as object), decisionLag: 1 } });
    expect(j.rows[2]?.metrics.totalReturn).toBe(one.out?.metrics.totalReturn);
    const typo = path.join(tempDir(), "typo.json");
    writeFileSync(typo, JSON.stringify({ ...example, grid: { minEgde: [0.1] } }));
    const bad = await runCli(["select", "--config", typo, "--store", store, "--no-record"]);
    expect(bad.stderr).toContain('unknown selector axis "minEgde"');
  });

  it("writes a report with the allocation over time and PnL by symbol", async () => {
    const file = path.join(tempDir(), "select.json");
    writeFileSync(file, JSON.stringify(example));
    const out = path.join(tempDir(), "select.html");
    const r = await runCli(["select", "--config", file, "--store", store, "--no-record", "--report", out]);
    expect(r.code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("Allocation over time");
    expect(html).toContain("PnL by symbol");
    expect(html).toContain('"allocation":{"symbols":["BTC/USDT","ETH/USDT","LINK/USDT","SOL/USDT"]');
  });

  it("bad input names the field or symbol", async () => {
    const mode = await select({ ...example, edge: { mode: "sideways" } });
    expect(mode.code).toBe(1);
    expect(mode.stderr).toMatch(/sideways/);
    const sym = await select({ ...example, symbols: ["BTC/USDT", "NOPE/USDT"] });
    expect(sym.code).toBe(1);
    expect(sym.stderr).toContain("NOPE/USDT");
    const model = await select({ ...example, forecast: { model: "crystal-ball" } });
    expect(model.code).toBe(1);
    expect(model.stderr).toContain("forecastModel");
  });
});
