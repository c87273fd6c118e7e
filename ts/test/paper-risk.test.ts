/**
 * The paper loop's faults, risk checks, kill switch, CLI and safety, on the loopback fake exchange
 * (real ccxt over HTTP to 127.0.0.1, real shared bars, real SQLite journal).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { Journal } from "../src/live/journal.js";
import { runPaper, type DecisionPayload, type StatePayload } from "../src/live/paper.js";
import { addon } from "../src/native.js";
import { backtest } from "../src/sim.js";
import { runCli } from "../src/testing/cli.js";
import { FAST_RETRY, fakeExchange, H, iso } from "../src/testing/fake-exchange.js";
import { btcStore, paperConfigFile, replayClock } from "../src/testing/paper.js";
import { cliPath, tempDir } from "../src/testing/paths.js";

const FROM = iso("2025-01-01T00:00:00Z");
const BAND = { kind: "band", buyOffset: 0.004, sellOffset: 0.004, buyFrac: 0.5, sellFrac: 0.5 } as const;
const TOUCH = { startingCash: 10_000, fillRule: { kind: "touch" } } as const;

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("faults", () => {
  it("429s with backoff, a timeout, a dropped connection, 503s past the retries: journaled, retried, nothing changes", async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-");
    const to = FROM + 48 * H;
    const bt = await backtest({ store: await btcStore(dir), symbol: "BTC/USDT", interval: "1h", from: FROM, to, strategy: BAND, params: TOUCH });
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: FROM, until: to, strategy: BAND, params: TOUCH }));
    fx.fail({ route: "klines", kind: "429", after: 5, times: 2 });
    fx.fail({ route: "klines", kind: "timeout", after: 12 });
    fx.fail({ route: "klines", kind: "drop", after: 20 });
    fx.fail({ route: "klines", kind: "503", after: 30, times: 4 });
    const logs: string[] = [];
    const s = await runPaper(cfg, { clock: replayClock(fx, FROM + H), retry: FAST_RETRY, timeoutMs: 300, log: (m) => logs.push(m) });
    expect(s.tradeSha256).toBe(bt.tradeSha256);
    expect(s.status.stepped).toBe(48);
    const faults = fx.requests.filter((r) => r.fault !== null).map((r) => r.fault);
    expect(faults).toEqual(["429", "429", "timeout", "drop", "503", "503", "503", "503"]);
    const retried = logs.filter((l) => l.includes("retrying with backoff"));
    expect(retried.join("\n")).toMatch(/rate limited[\s\S]*timed out[\s\S]*network error[\s\S]*server error/);
    // Three 503s outlast FAST_RETRY's 2 retries: the cycle's fetch fails, is journaled, and the next poll gets the bar.
    const errors = new Journal(cfg.journal).events<{ kind: string }>(cfg.runId, "error");
    expect(errors.map((e) => e.payload.kind)).toEqual(["server"]);
    expect(s.missed).toBe(0);
  });
});

describe("risk checks before every order", () => {
  async function riskRun(risk: Record<string, unknown>, o: { hours?: number; strategy?: object; params?: object } = {}) {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-");
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: FROM, until: FROM + (o.hours ?? 48) * H, strategy: o.strategy ?? BAND, params: o.params ?? TOUCH, risk }));
    const logs: string[] = [];
    const s = await runPaper(cfg, { clock: replayClock(fx, FROM + H), log: (m) => logs.push(m) });
    const j = new Journal(cfg.journal);
    return { s, j, cfg, logs, refusals: j.events<{ side: string; reason: string }>(cfg.runId, "refusal").map((e) => e.payload) };
  }

  it("max position notional: a buy that would hold more is refused with its reason, never sent", async () => {
    const { s, j, cfg, refusals, logs } = await riskRun({ maxPositionNotional: 6000 });
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((r) => r.side === "buy" && /position notional \d+\.\d+ after this buy would exceed risk.maxPositionNotional 6000/.test(r.reason))).toBe(true);
    expect(logs.some((l) => l.startsWith("refused buy BTC/USDT"))).toBe(true);
    // A refused order has no intent and no client order id.
    const refusedSteps = j.events<DecisionPayload>(cfg.runId, "decision").filter((d) => d.payload.refusals.length > 0);
    expect(refusedSteps.every((d) => d.payload.accepted.buy === null && d.payload.ids.buy === null)).toBe(true);
    expect(s.trades).toBeGreaterThan(0);
  });

  it("allowed instruments and order rate", async () => {
    const a = await riskRun({ allowedSymbols: ["ETH/USDT"] }, { hours: 12 });
    expect(a.s.trades).toBe(0);
    expect(a.refusals.length).toBeGreaterThan(0);
    expect(a.refusals[0]?.reason).toBe("BTC/USDT is not in risk.allowedSymbols (ETH/USDT)");
    await fx?.close();
    const b = await riskRun({ maxOrdersPerHour: 1 }, { hours: 24 });
    expect(b.refusals.some((r) => /order rate: 1 orders in the last hour, risk.maxOrdersPerHour is 1/.test(r.reason))).toBe(true);
    const intents = b.j.events(b.cfg.runId, "intent");
    const perBar = new Map<number, number>();
    for (const e of intents) perBar.set(e.barTs, (perBar.get(e.barTs) ?? 0) + 1);
    expect(Math.max(...perBar.values())).toBe(1);
  });

  it("drawdown kill switch: cancels, flattens, and stays tripped across a restart", async () => {
    const strategy = { kind: "emaCross", fast: 3, slow: 8 };
    const params = { startingCash: 10_000 };
    const first = await riskRun({ maxDrawdown: 0.003, onKill: "flatten" }, { hours: 72, strategy, params });
    expect(first.s.killed).toMatch(/^drawdown \d+\.\d+% from the peak \d+\.\d+ exceeds risk.maxDrawdown 0\.30%$/);
    const kill = first.j.events(first.cfg.runId, "kill");
    expect(kill.length).toBe(1);
    const decisions = first.j.events<DecisionPayload>(first.cfg.runId, "decision").filter((d) => d.barTs > (kill[0]?.barTs ?? 0));
    expect(decisions.length).toBeGreaterThan(0);
    expect(decisions.every((d) => d.payload.accepted.buy === null)).toBe(true);
    expect(first.s.status.position).toBe(0);
    // Resume the same run further: the kill switch is still tripped, nothing is bought.
    const cfg2 = { ...first.cfg, until: FROM + 96 * H };
    const second = await runPaper(cfg2, { clock: replayClock(fx as FakeExchange, FROM + 73 * H) });
    expect(second.resumed).toBe(true);
    expect(second.killed).toBe(first.s.killed);
    const after = first.j.events<DecisionPayload>(first.cfg.runId, "decision").filter((d) => d.barTs >= FROM + 72 * H);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((d) => d.payload.accepted.buy === null)).toBe(true);
    expect(first.j.events(first.cfg.runId, "kill").length).toBe(1);
  });
});

describe("tradelab paper / live from the command line", () => {
  it("paper runs a replay on the fake exchange's running clock, then paper status reads the journal", async () => {
    fx = await fakeExchange({ now: FROM + H, speed: 36_000 }); // 10 hours a second
    const dir = tempDir("tradelab-paper-cli-");
    const file = paperConfigFile(dir, fx, { from: "2025-01-01", until: "2025-01-02", strategy: BAND, params: TOUCH, runId: "cli-run", pollMs: 20 });
    const r = await runCli(["paper", "--config", file, "--registry", `${dir}/runs.sqlite`, "--log-metrics", `${dir}/metrics.jsonl`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("paper cli-run · BTC/USDT · band 0.4%/0.4%");
    // The run is recorded in the registry: kind paper, its assumptions, its journal.
    const id = /recorded run (\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeTruthy();
    const shown = await runCli(["runs", "show", id ?? "", "--registry", `${dir}/runs.sqlite`, "--json"]);
    expect(shown.code, shown.stderr).toBe(0);
    const rec = JSON.parse(shown.stdout) as { kind: string; split: string; metrics: { barsStepped: number; tradeSha256: string }; artifacts: { journal: string } };
    expect(rec.kind).toBe("paper");
    expect(rec.split).toBe("forward (paper)");
    expect(rec.metrics.barsStepped).toBe(24);
    expect(rec.metrics.tradeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.artifacts.journal).toBe(`${dir}/journal.sqlite`);
    expect(r.stdout).toMatch(/bars stepped\s+│ 24 \(this process 24, /);
    expect(r.stdout).toMatch(/trades sha256\s+│ [0-9a-f]{64}/);
    const st = await runCli(["paper", "status", "cli-run", "--journal", `${dir}/journal.sqlite`, "--json"]);
    expect(st.code, st.stderr).toBe(0);
    const j = JSON.parse(st.stdout) as { barsStepped: number; equity: number; openOrders: string[] };
    expect(j.barsStepped).toBe(24);
    expect(j.equity).toBeGreaterThan(0);
    // --log-metrics: one line per stepped bar; PnL from the starting cash; a running Sortino once there are returns.
    const lines = readFileSync(`${dir}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { bars: number; equity: number; pnl: number; todayPnl: number; sortino: number | null; periodsPerYear: number });
    expect(lines.length).toBe(24);
    expect(lines.map((l) => l.bars)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(lines[0]?.sortino).toBeNull();
    const last = lines[23];
    expect(last?.equity).toBeCloseTo(j.equity, 9);
    expect(last?.pnl).toBeCloseTo((last?.equity ?? 0) - 10_000, 9);
    expect(last?.todayPnl).toBeCloseTo(last?.pnl ?? NaN, 9); // one UTC day
    expect(last?.periodsPerYear).toBe(8760);
    // The running Sortino (advanced one bar at a time) is curveMetrics over the journaled curve so far, bit for bit.
    const eq = new Journal(`${dir}/journal.sqlite`).events<StatePayload>("cli-run", "state").map((e) => e.payload.equity);
    for (let k = 2; k <= 24; k++) {
      const m = addon.curveMetrics(10_000, Float64Array.from(eq.slice(0, k)), 8760) as { sortino: number };
      expect(lines[k - 1]?.sortino, `bar ${k}`).toBe(Number.isFinite(m.sortino) ? m.sortino : null);
    }
    const bad = await runCli(["paper", "status", "nope", "--journal", `${dir}/journal.sqlite`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("has no run nope (runs: cli-run)");
  });

  it("SIGTERM stops the loop gracefully (exit 143, a stop event journaled); a restart resumes", async () => {
    fx = await fakeExchange({ now: FROM + H, speed: 3_600 }); // an hour a second
    const dir = tempDir("tradelab-paper-cli-");
    const file = paperConfigFile(dir, fx, { from: "2025-01-01", until: "2025-01-03", strategy: BAND, params: TOUCH, runId: "term-run", pollMs: 20 });
    const child = spawn(process.execPath, [cliPath, "paper", "--config", file, "--log-metrics", `${dir}/metrics.jsonl`]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const j = new Journal(`${dir}/journal.sqlite`);
    const t0 = Date.now();
    while (((j.latestState<StatePayload>("term-run")?.state.engine.bar) ?? 0) < 3 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    expect(code, out).toBe(143);
    expect(j.events("term-run", "stop").length).toBe(1);
    const stepped = j.latestState<StatePayload>("term-run")?.state.engine.bar ?? 0;
    expect(stepped).toBeGreaterThanOrEqual(3);
    fx.setNow(FROM + 48 * H + 1);
    const r = await runCli(["paper", "--config", file, "--json", "--log-metrics", `${dir}/metrics.jsonl`]);
    expect(r.code, r.stderr).toBe(0);
    // The resumed run's metrics continue the curve rebuilt from the journal.
    const bars = readFileSync(`${dir}/metrics.jsonl`, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { bars: number }).bars);
    expect(bars[bars.length - 1]).toBe(48);
    const s = JSON.parse(r.stdout) as { resumed: boolean; status: { stepped: number }; steppedNow: number; missed: number };
    expect(s.resumed).toBe(true);
    expect(s.status.stepped).toBe(48);
    // Bars that closed while the loop was down are stepped without orders, and counted.
    expect(s.missed).toBeGreaterThan(0);
  });

  it("live refuses without consent and without credentials, runs with both, and never prints or journals the keys", async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-live-");
    const file = paperConfigFile(dir, fx, { from: "2025-01-01", strategy: BAND });
    const env = { BINANCE_API_KEY: "", BINANCE_API_SECRET: "" };
    const a = await runCli(["live", "--config", file], env);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("live trading refused: pass --live (interactive) or --yes-i-mean-live (unattended)");
    expect(a.stderr).toContain("would trade BTC/USDT 1h on binance");
    const b = await runCli(["live", "--config", file, "--live"], env);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("no API credentials (set BINANCE_API_KEY and BINANCE_API_SECRET");
    // Nothing was sent anywhere by the refused runs: the fake exchange saw no request.
    expect(fx.requests.length).toBe(0);
    const key = "k3y-VALUE-never-shown-123";
    const secret = "s3cret-VALUE-never-shown-456";
    const runFile = paperConfigFile(dir, fx, { from: FROM, until: FROM + 6 * H, strategy: BAND, clock: "replay", runId: "live-cli" });
    fx.setNow(FROM + H);
    const c = await runCli(["live", "--config", runFile, "--yes-i-mean-live", "--registry", `${dir}/runs.sqlite`], { BINANCE_API_KEY: key, BINANCE_API_SECRET: secret });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/recorded run \S+/);
    expect(c.stdout).toContain("consent and credentials given (values not shown)");
    expect(c.stdout).toMatch(/bars stepped\s+│ 6/);
    const d = await runCli(["live", "--config", runFile, "--live"], { BINANCE_API_KEY: key, BINANCE_API_SECRET: secret });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain("--live asks for confirmation on a terminal");
    const bytes = (f: string) => readFileSync(f).toString("latin1") + (existsSync(`${f}-wal`) ? readFileSync(`${f}-wal`).toString("latin1") : "");
    // The journal and the registry record hold no key either.
    const journalBytes = bytes(`${dir}/journal.sqlite`) + bytes(`${dir}/runs.sqlite`);
    for (const text of [a.stdout, a.stderr, b.stdout, b.stderr, c.stdout, c.stderr, d.stdout, d.stderr, journalBytes]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(secret);
    }
    // The live run placed real (signed) orders on the loopback venue.
    expect(fx.requests.some((r) => r.path === "/api/v3/order")).toBe(true);
  });
});
