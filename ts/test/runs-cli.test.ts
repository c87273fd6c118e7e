/** End-to-end: `tradelab backtest` / `sweep` record runs; `tradelab runs list|show|compare|log` read them. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const store = path.join(repoRoot, "data/store");

describe("tradelab runs", () => {
  it("records backtest and sweep runs and lists, shows, compares and logs them", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const report = path.join(dir, "report.html");
    const env = { TRADELAB_REGISTRY: registry };

    const bt = await runCli(
      ["backtest", "--symbol", "SOL/USDT", "--strategy", "band", "--store", store, "--report", report, "--json"],
      env,
    );
    expect(bt.stderr).toBe("");
    expect(bt.code).toBe(0);
    const btj = JSON.parse(bt.stdout) as { runId: string; report: string };
    expect(btj.runId).toMatch(/^r-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, "utf8")).toContain("lag 1 · fill cross 5 bps");

    const cfg = path.join(dir, "sweep.json");
    writeFileSync(cfg, JSON.stringify({ symbol: "ETH/USDT", strategy: { kind: "emaCross", fast: 12, slow: 26 }, grid: { fast: [6, 12], slow: [48, 96] } }));
    const sw = await runCli(["sweep", "--config", cfg, "--store", store, "--registry", registry]);
    expect(sw.code).toBe(0);
    const swId = /recorded run (r-\S+)/.exec(sw.stdout)?.[1];
    expect(swId).toBeDefined();

    const unrecorded = await runCli(["backtest", "--symbol", "BTC/USDT", "--store", store, "--no-record", "--json"], env);
    expect(unrecorded.code).toBe(0);
    expect(JSON.parse(unrecorded.stdout).runId).toBeUndefined();

    const list = await runCli(["runs", "list", "--json"], env);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as { id: string; kind: string; symbols: string[]; dataHash: string; codeVersion: string; artifacts: Record<string, string>; metrics: Record<string, number> }[];
    expect(runs.map((r) => r.kind)).toEqual(["sweep", "backtest"]);
    const [sweepRun, btRun] = runs;
    expect(btRun!.id).toBe(btj.runId);
    expect(btRun!.artifacts.report).toBe(report);
    expect(btRun!.dataHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(btRun!.codeVersion).toMatch(/^0\.\d+\.\d+\+/);
    expect(sweepRun!.metrics.parameterSets).toBe(4);
    expect(sweepRun!.symbols).toEqual(["ETH/USDT"]);

    const filtered = await runCli(["runs", "list", "--kind", "sweep", "--registry", registry, "--json"]);
    expect((JSON.parse(filtered.stdout) as unknown[]).length).toBe(1);
    const bySymbol = await runCli(["runs", "list", "--symbol", "SOL/USDT", "--json"], env);
    expect((JSON.parse(bySymbol.stdout) as { id: string }[]).map((r) => r.id)).toEqual([btj.runId]);

    const table = await runCli(["runs", "list"], env);
    expect(table.stdout).toContain(btj.runId);
    expect(table.stdout).toContain("1/cross 5 bps");

    const show = await runCli(["runs", "show", btj.runId.slice(0, 20)], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760");
    expect(show.stdout).toContain('"kind": "band"');

    const cmp = await runCli(["runs", "compare", btj.runId, swId!], env);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/sortino/);
    const cmpJson = JSON.parse((await runCli(["runs", "compare", btj.runId, swId!, "--json"], env)).stdout) as { metrics: { metric: string; values: (number | null)[] }[] };
    expect(cmpJson.metrics.find((m) => m.metric === "parameterSets")?.values).toEqual([null, 4]);

    const log = await runCli(["runs", "log", "--format", "markdown"], env);
    const lines = log.stdout.trim().split("\n");
    expect(lines[0]).toBe("| Timestamp (UTC) | Run | Symbol(s) | Eval window | total_return | sortino | Assumptions | Notes |");
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain(`backtest ${btj.runId}`);
    expect(lines[2]).toMatch(/full 2024-01-01\.\.2024-09-\d\d/);
  });

  it("records portfolio backtests and portfolio sweeps with every symbol and the Rust data hash", async () => {
    const dir = tempDir();
    const env = { TRADELAB_REGISTRY: path.join(dir, "runs.sqlite") };
    const pf = await runCli(["backtest", "--symbols", "BTC/USDT,ETH/USDT", "--max-positions", "1", "--store", store, "--json"], env);
    expect(pf.stderr).toBe("");
    expect(pf.code).toBe(0);
    const pfj = JSON.parse(pf.stdout) as { runId: string; dataHash: string };
    expect(pfj.runId).toMatch(/^r-/);

    const cfg = path.join(dir, "psweep.json");
    writeFileSync(cfg, JSON.stringify({ symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT"], strategy: { kind: "emaCross", fast: 12, slow: 26 }, grid: { fast: [6, 12], decisionLag: [0, 1] }, maxPositions: [1, 2] }));
    const sw = await runCli(["sweep", "--config", cfg, "--store", store], env);
    expect(sw.stderr).toBe("");
    expect(sw.code).toBe(0);
    expect(sw.stdout).toContain("portfolio of BTC/USDT, ETH/USDT, SOL/USDT");
    expect(sw.stdout).toContain("8 portfolio runs");
    expect(sw.stdout).toContain("best of 4 by Sortino (4 optimistic rows excluded)");
    expect(sw.stdout).toContain("OPTIMISTIC");

    const runs = JSON.parse((await runCli(["runs", "list", "--json"], env)).stdout) as { id: string; kind: string; symbols: string[]; dataHash: string; metrics: Record<string, number>; config: { best: { params: { decisionLag: number } } | null } }[];
    expect(runs.map((r) => r.kind)).toEqual(["sweep", "backtest"]);
    const [swRun, pfRun] = runs;
    expect(pfRun!.id).toBe(pfj.runId);
    expect(pfRun!.symbols).toEqual(["BTC/USDT", "ETH/USDT"]);
    expect(pfRun!.dataHash).toBe(pfj.dataHash);
    expect(swRun!.symbols).toEqual(["BTC/USDT", "ETH/USDT", "SOL/USDT"]);
    expect(swRun!.metrics.parameterSets).toBe(8);
    expect(swRun!.config.best?.params.decisionLag).toBe(1);

    const both = await runCli(["sweep", "--config", cfg, "--store", store, "--out", path.join(dir, "x.parquet")], env);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("--out");
  });

  it("locks the test window once for every command: backtest, sweep and portfolio share it", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const env = { TRADELAB_REGISTRY: registry };
    const first = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "test", "--json"], env);
    expect(first.stderr).toBe("");
    const fj = JSON.parse(first.stdout) as { window: { split: string }; split: { burned: boolean; from: number; to: number } };
    expect(fj.window.split).toBe("test");
    expect(fj.split.burned).toBe(false);

    // Every other route to the same window is refused, with --no-record too.
    const again = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "test", "--no-record"], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already looked at");
    const cfg = path.join(dir, "sweep.json");
    writeFileSync(cfg, JSON.stringify({ symbol: "SOL/USDT", strategy: { kind: "emaCross", fast: 12, slow: 26 }, grid: { fast: [6, 12] } }));
    const sw = await runCli(["sweep", "--config", cfg, "--store", store, "--split", "test"], env);
    expect(sw.code).not.toBe(0);
    expect(sw.stderr).toContain("--i-know-test-is-burned");
    const pf = await runCli(["backtest", "--symbols", "BTC/USDT,SOL/USDT", "--store", store, "--split", "test"], env);
    expect(pf.code).not.toBe(0);
    // A longer test window still overlaps the days already seen.
    const longer = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "test", "--test-days", "30"], env);
    expect(longer.code).not.toBe(0);

    // Acknowledged: shown and labelled burned everywhere.
    const burned = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "test", "--i-know-test-is-burned"], env);
    expect(burned.code).toBe(0);
    expect(burned.stdout).toContain("test (burned)");
    const list = await runCli(["runs", "list"], env);
    expect(list.stdout).toContain("test (burned)");
    // Validation needs no lock and can be looked at again.
    for (let k = 0; k < 2; k++) expect((await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "val", "--no-record"], env)).code).toBe(0);
    const both = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--split", "val", "--from", "2024-03-01"], env);
    expect(both.stderr).toContain("not both");
  });

  it("several processes record into one registry at once", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    const symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "LINK/USDT"];
    const results = await Promise.all(symbols.map((s) => runCli(["backtest", "--symbol", s, "--store", store, "--registry", registry, "--json"])));
    for (const r of results) expect(r.stderr).toBe("");
    const runs = JSON.parse((await runCli(["runs", "list", "--json", "--registry", registry])).stdout) as { symbols: string[] }[];
    expect(runs.map((r) => r.symbols[0]).sort()).toEqual([...symbols].sort());
  });

  it("fails clearly on an unknown id", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    const r = await runCli(["runs", "show", "r-nope", "--registry", registry]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no run matches 'r-nope'");
  });
});
