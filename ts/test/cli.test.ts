/** End-to-end tests of the built `tradelab` CLI (ts/dist/cli.js), run as a user runs it. */
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, sharedData, tempDir } from "../src/testing/paths.js";

describe("tradelab CLI", () => {
  it("--help lists the commands", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("data");
    const d = await runCli(["data", "--help"]);
    for (const c of ["import", "info", "list", "check"]) expect(d.stdout).toContain(c);
  });

  it("imports the BTC/USDT feather, reports it, and a second import changes nothing", async () => {
    const store = tempDir();
    const file = path.join(sharedData(), "binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");
    const imp = await runCli(["data", "import", file, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--json"]);
    expect(imp.stderr).toBe("");
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout).rowsAdded).toBe(70006);

    const info = await runCli(["data", "info", "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--json"]);
    const j = JSON.parse(info.stdout);
    expect(j.rows).toBe(70006);
    expect(j.firstIso).toBe("2018-01-01T00:00:00Z");
    expect(j.lastIso).toBe("2025-12-31T23:00:00Z");
    expect(j.gaps.count).toBeGreaterThanOrEqual(0);

    const again = await runCli(["data", "import", file, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--json"]);
    const a = JSON.parse(again.stdout);
    expect(a.rowsTotal).toBe(70006);
    expect(a.rowsAdded).toBe(0);
    expect(a.written).toBe(false);

    const human = await runCli(["data", "info", "--symbol", "BTC/USDT", "--store", store]);
    expect(human.stdout).toMatch(/rows\s*│\s*70006/);
  });

  it("uses TRADELAB_STORE and guesses symbol/interval from freqtrade file names", async () => {
    const store = tempDir();
    const dir = tempDir();
    const file = path.join(dir, "SOL_USDT-1h.feather");
    copyFileSync(path.join(sharedData(), "binance_imsatoshi_genetrader/SOL_USDT-1h.feather"), file);
    const r = await runCli(["data", "import", file, "--json"], { TRADELAB_STORE: store });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).info.symbol).toBe("SOL/USDT");
    const list = await runCli(["data", "list", "--json"], { TRADELAB_STORE: store });
    expect(JSON.parse(list.stdout)).toEqual([{ symbol: "SOL/USDT", interval: "1h" }]);
  });

  it("fails with a clear message and exit code 1 on bad input", async () => {
    const dir = tempDir();
    const bad = path.join(dir, "bad.csv");
    writeFileSync(bad, "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1,NaN\n");
    const r = await runCli(["data", "import", bad, "--symbol", "X/USDT", "--interval", "1h", "--store", path.join(dir, "s")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.csv: row 1 (line 2): field `volume`: value NaN is not a finite number");
  });

  it("data check validates the bundled sample store", async () => {
    const r = await runCli(["data", "check", "--store", path.join(repoRoot, "data/store"), "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.datasets.map((d: { symbol: string }) => d.symbol)).toEqual(["BTC/USDT", "ETH/USDT", "LINK/USDT", "SOL/USDT"]);
  });
});

describe("tradelab backtest / sweep", () => {
  it("backtest --json on BTC/USDT states lag, fill rule, fees and split", async () => {
    const store = tempDir();
    const file = path.join(sharedData(), "binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");
    expect((await runCli(["data", "import", file, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--json"])).code).toBe(0);
    const r = await runCli(["backtest", "--symbol", "BTC/USDT", "--interval", "1h", "--strategy", "ema-cross", "--store", store, "--json"]);
    expect(r.stderr).toBe("");
    const j = JSON.parse(r.stdout);
    expect(j.assumptions).toMatchObject({ decisionLag: 1, fillRule: "cross 5 bps", makerFee: 0.001, takerFee: 0.001, optimistic: false });
    expect(j.window).toMatchObject({ split: "full", bars: 70006 });
    expect(typeof j.metrics.sortino).toBe("number");

    const cfg = path.join(tempDir(), "sweep.json");
    writeFileSync(cfg, JSON.stringify({ symbol: "BTC/USDT", strategy: { kind: "emaCross", fast: 12, slow: 26 }, grid: { fast: [6, 12], slow: [48, 96] } }));
    const out = path.join(tempDir(), "rows.parquet");
    const s = await runCli(["sweep", "--config", cfg, "--store", store, "--out", out, "--json"]);
    expect(s.code).toBe(0);
    const sj = JSON.parse(s.stdout);
    expect(sj.rows.length).toBe(4);
    expect(sj.barEvaluations).toBe(4 * 70006);
    const human = await runCli(["sweep", "--config", cfg, "--store", store]);
    expect(human.stdout).toContain("ema 6/48");
    expect(human.stdout).toMatch(/4 parameter sets × 70006 bars/);
  });
});
