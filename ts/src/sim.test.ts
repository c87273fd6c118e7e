import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { backtest, openStore, readActionsFile, sweep } from "./index.js";
import { repoRoot, sharedData, tempDir } from "./testing/paths.js";

let store: string;

beforeAll(async () => {
  store = tempDir();
  await openStore(store).import(path.join(sharedData(), "kernc_backtesting_py/SOLUSDT.csv"), { symbol: "SOL/USDT", interval: "1h" });
});

describe("backtest", () => {
  it("states its assumptions and conserves the equity curve", async () => {
    const r = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 5, slow: 20 } });
    expect(r.assumptions.decisionLag).toBe(1);
    expect(r.assumptions.fillRule).toBe("cross 5 bps");
    expect(r.assumptions.makerFee).toBe(0.001);
    expect(r.assumptions.optimistic).toBe(false);
    expect(r.window).toMatchObject({ split: "full", bars: 1000 });
    expect(r.curve.equity.length).toBe(1000);
    expect(r.curve.equity[999]).toBeCloseTo(r.metrics.endEquity, 9);
    expect(r.metrics.totalReturn).toBeCloseTo(r.metrics.endEquity / 10000 - 1, 12);
    // A decision at bar t never fills on bar t with lag 1: the first fill comes after the warm-up bar.
    expect(r.trades[0]!.bar).toBeGreaterThanOrEqual(20);
  });

  it("trades and round trips cross as columns and come back as the engine's rows", async () => {
    const r = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "band", buyOffset: 0.004, sellOffset: 0.006, buyFrac: 1, sellFrac: 1 }, params: { maxHoldBars: 12 } });
    expect(r.trades.length).toBe(r.metrics.tradeCount);
    expect(r.roundTrips.length).toBeGreaterThanOrEqual(r.metrics.roundTrips);
    expect(new Set(r.trades.map((t) => t.side))).toEqual(new Set(["buy", "sell"]));
    expect(r.trades.some((t) => t.reason === "maxHold")).toBe(true);
    // Replaying the cash deltas in order gives the engine's final cash bit for bit.
    expect(r.trades.reduce((c, t) => c + t.cashDelta, r.params.startingCash)).toBe(r.finalCash);
    const open = r.roundTrips.filter((t) => t.exitTs === null);
    expect(open.every((t) => t.pnl === null && t.ret === null && t.exitPrice === null)).toBe(true);
    const closed = r.roundTrips.filter((t) => t.exitTs !== null);
    expect(closed.length).toBe(r.metrics.roundTrips);
    expect(closed.filter((t) => (t.pnl ?? 0) > 0).length / closed.length).toBeCloseTo(r.metrics.winRate, 12);
    // JSON output (the CLI's --json) carries the rows.
    const j = JSON.parse(JSON.stringify(r)) as { trades: unknown[]; roundTrips: unknown[] };
    expect(j.trades).toEqual(r.trades);
    expect(j.roundTrips).toEqual(r.roundTrips);
  });

  it("labels lag 0 as optimistic", async () => {
    const r = await backtest({
      store,
      symbol: "SOL/USDT",
      interval: "1h",
      strategy: { kind: "band", buyOffset: 0.01, sellOffset: 0.01, buyFrac: 1, sellFrac: 1 },
      params: { decisionLag: 0 },
    });
    expect(r.assumptions.optimistic).toBe(true);
    expect(r.assumptions.warnings.join(" ")).toMatch(/lag 0/i);
  });

  it("fees only reduce equity", async () => {
    const s = { kind: "band", buyOffset: 0.005, sellOffset: 0.005, buyFrac: 1, sellFrac: 1 } as const;
    const free = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: s, params: { makerFee: 0, takerFee: 0 } });
    const paid = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: s, params: { makerFee: 0.002 } });
    expect(paid.metrics.endEquity).toBeLessThan(free.metrics.endEquity);
  });

  it("rejects bad parameters with a clear error", async () => {
    await expect(
      backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 30, slow: 20 } }),
    ).rejects.toThrow(/fast < slow/);
    await expect(backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 5, slow: 20 }, from: "2030-01-01" })).rejects.toThrow(
      /no SOL\/USDT 1h bars in the requested window/,
    );
  });
});

describe("sweep", () => {
  it("runs every grid row on the kernel and matches the reference backtest", async () => {
    const out = path.join(tempDir(), "rows.parquet");
    const r = await sweep(
      { symbol: "SOL/USDT", strategy: { kind: "emaCross", fast: 5, slow: 20 }, grid: { fast: [3, 5, 8], slow: [20, 40], makerFee: [0, 0.001] } },
      { store, out },
    );
    expect(r.rows.length).toBe(12);
    expect(r.table.numRows).toBe(12);
    expect(r.barEvaluations).toBe(12 * 1000);
    expect(r.baseAssumptions.decisionLag).toBe(1);
    const row = r.rows.find((x) => x.strategy.kind === "emaCross" && x.strategy.fast === 8 && x.strategy.slow === 40 && x.params.makerFee === 0.001)!;
    const ref = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 8, slow: 40 }, params: { makerFee: 0.001 } });
    expect(row.metrics.endEquity).toBe(ref.metrics.endEquity);
    expect(row.metrics.sortino).toBe(ref.metrics.sortino);
    const col = r.table.getChild("metrics.sortino")!.toArray() as Float64Array;
    expect(col.length).toBe(12);
  });
});

describe("backtest from an actions file", () => {
  it("gives the same result as the built-in strategy that produced the actions", async () => {
    const a = await openStore(store).readArrays("SOL/USDT", "1h");
    const lines = ["ts,buy_price,sell_price,buy_frac,sell_frac"];
    for (let i = 0; i < a.close.length; i++) lines.push(`${new Date(a.ts[i]!).toISOString()},${a.close[i]! * 0.99},${a.close[i]! * 1.01},1,1`);
    const file = path.join(tempDir(), "actions.csv");
    writeFileSync(file, lines.join("\n"));
    const fromFile = await backtest({ store, symbol: "SOL/USDT", interval: "1h", actions: readActionsFile(file) });
    const builtIn = await backtest({
      store,
      symbol: "SOL/USDT",
      interval: "1h",
      strategy: { kind: "band", buyOffset: 0.01, sellOffset: 0.01, buyFrac: 1, sellFrac: 1 },
    });
    expect(fromFile.strategy).toEqual({ kind: "actions", rows: 1000 });
    expect(fromFile.metrics.tradeCount).toBe(builtIn.metrics.tradeCount);
    expect(fromFile.metrics.endEquity).toBeCloseTo(builtIn.metrics.endEquity, 9);
  });

  it("names the bad row", async () => {
    const file = path.join(tempDir(), "bad.csv");
    writeFileSync(file, "ts,buy_price,sell_price,buy_frac,sell_frac\n2024-09-20T15:00:00Z,1,2,1,1\n2024-09-20T15:30:00Z,1,2,1,1\n");
    await expect(backtest({ store, symbol: "SOL/USDT", interval: "1h", actions: readActionsFile(file) })).rejects.toThrow(
      /actions row 2: timestamp 2024-09-20T15:30:00Z \(\d+ ms\) matches no bar open time/,
    );
    writeFileSync(file, "ts,buy_price,sell_price,buy_frac,sell_frac\n2024-09-20T15:00:00Z,abc,2,1,1\n");
    expect(() => readActionsFile(file)).toThrow(/bad.csv: row 1 \(line 2\): field `buy_price`: cannot parse 'abc'/);
  });
});

describe("library exports of the engine's use cases", () => {
  it("backtestPortfolio and sweepPortfolio are exported and typed from the Rust structs", async () => {
    const lib = await import("./index.js");
    const bundled = path.join(repoRoot, "data/store");
    const strategy = { kind: "emaCross" as const, fast: 12, slow: 26, slack: 0.005 };
    const p = await lib.backtestPortfolio({ store: bundled, symbols: ["BTC/USDT", "ETH/USDT"], interval: "1h", strategy, maxPositions: 1 });
    expect(p.report.symbols).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(p.report.dataHash).toMatch(/^sha256:/);
    const s = await lib.sweepPortfolio({ symbols: ["BTC/USDT", "ETH/USDT"], strategy, grid: { fast: [6, 12] }, maxPositions: [1, 2] }, { store: bundled });
    expect(s.rows).toHaveLength(4);
    expect(s.best?.selection).toContain("best of 4 by Sortino");
    expect(typeof lib.fundingHarvest).toBe("function");
  });
});
