/**
 * Crash safety of the paper loop: the built CLI runs as a child process against the loopback fake
 * exchange while the test advances the exchange's clock bar by bar; the child is SIGKILLed at
 * injected points (after the intents were journaled but before the ack, before and after the
 * bar's fill commit) and at random moments, and restarted each time. The run must end with the
 * trades of an uninterrupted backtest (same SHA-256), no order id used twice, every limit fill
 * matched to one intent, and every bar stepped exactly once.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { Journal } from "../src/live/journal.js";
import type { DecisionPayload, FillPayload, StatePayload } from "../src/live/paper.js";
import { backtest } from "../src/sim.js";
import { fakeExchange, H, iso } from "../src/testing/fake-exchange.js";
import { btcStore, paperConfigFile } from "../src/testing/paper.js";
import { cliPath, tempDir } from "../src/testing/paths.js";

const FROM = iso("2025-01-01T00:00:00Z");
const DAYS = 3;
const TO = FROM + DAYS * 24 * H;
const BARS = DAYS * 24;

let fx: FakeExchange | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await fx?.close();
  fx = undefined;
});

interface Child {
  proc: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(config: string, crash?: string): Child {
  const env = { ...process.env, ...(crash ? { TRADELAB_PAPER_CRASH: crash } : {}) };
  if (!crash) delete env["TRADELAB_PAPER_CRASH"];
  const proc = spawn(process.execPath, [cliPath, "paper", "--config", config, "--json"], { env });
  children.push(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { proc, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("paper loop under kill -9", () => {
  it(`${BARS} bars with injected and random SIGKILLs: no duplicate order, no lost or doubled fill, same trades as the backtest`, async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-crash-");
    const store = await btcStore(dir);
    const strategy = { kind: "band", buyOffset: 0.004, sellOffset: 0.004, buyFrac: 0.5, sellFrac: 0.5 } as const;
    const params = { startingCash: 10_000, fillRule: { kind: "touch" } } as const;
    const bt = await backtest({ store, symbol: "BTC/USDT", interval: "1h", from: FROM, to: TO, strategy, params });
    expect(bt.trades.length).toBeGreaterThan(20);
    const file = paperConfigFile(dir, fx, { from: FROM, until: TO, strategy, params, runId: "crash-test" });
    const cfg = readPaperConfig(file);
    const j = new Journal(cfg.journal);

    // Injected crash points for the first starts, then random kills.
    const injected = ["after-intent@3", "before-commit@7", "after-commit@11", "after-intent@15", "before-commit@20"];
    let rng = 42;
    const rand = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let t = FROM + H;
    fx.setNow(t);
    let starts = 0;
    let kills = 0;
    let injectedHits = 0;
    let child = start(file, injected[starts++]);
    let exited: Awaited<Child["done"]> | null = null;
    child.done.then((r) => (exited = r));
    const deadline = Date.now() + 150_000;
    for (;;) {
      expect(Date.now()).toBeLessThan(deadline);
      if (exited !== null) {
        const r: Awaited<Child["done"]> = exited;
        if (r.code === 0) break;
        expect(r.signal, r.stderr).toBe("SIGKILL");
        if (starts <= injected.length) injectedHits++;
        exited = null;
        child = start(file, injected[starts++]);
        child.done.then((x) => (exited = x));
        continue;
      }
      const k = Math.round((t - FROM) / H); // bars closed at the exchange's clock
      const st = j.latestState<StatePayload>(cfg.runId);
      const decided = j.events<DecisionPayload>(cfg.runId, "decision").some((e) => e.payload.step === k);
      if ((st?.state.engine.bar ?? 0) === k && (decided || k === BARS)) {
        if (k === BARS) {
          await sleep(5);
          continue;
        }
        t += H;
        fx.setNow(t);
        if (starts > injected.length && rand() < 0.25) {
          const victim = child.proc;
          setTimeout(() => {
            if (victim.exitCode === null && victim.signalCode === null) {
              victim.kill("SIGKILL");
              kills++;
            }
          }, Math.floor(rand() * 40));
        }
      } else await sleep(3);
    }
    const r: Awaited<Child["done"]> = exited as unknown as Awaited<Child["done"]>;
    const s = JSON.parse(r.stdout) as { tradeSha256: string; trades: number; status: { stepped: number; cash: number; equity: number } };
    expect(s.status.stepped).toBe(BARS);
    expect(s.tradeSha256).toBe(bt.tradeSha256);
    expect(s.status.cash).toBe(bt.finalCash);

    // No order id twice, acks only for intents, every limit fill matched to exactly one intent.
    const intents = j.events(cfg.runId, "intent").map((e) => e.ref as string);
    expect(new Set(intents).size).toBe(intents.length);
    const acks = j.events(cfg.runId, "ack").map((e) => e.ref as string);
    expect(new Set(acks).size).toBe(acks.length);
    expect(acks.every((a) => intents.includes(a))).toBe(true);
    expect(intents.every((i) => acks.includes(i))).toBe(true);
    const fills = j.events<FillPayload>(cfg.runId, "fill");
    const ids = fills.filter((f) => f.payload.trade.reason === "limit").map((f) => f.payload.clientOrderId);
    expect(ids.every((id) => id !== null && intents.includes(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(fills.length).toBe(bt.trades.length);
    // Every bar stepped exactly once, in order; none missed (the clock waited for the loop).
    const bars = j.events<StatePayload>(cfg.runId, "state").map((e) => e.payload.engine.bar);
    expect(bars).toEqual(Array.from({ length: BARS }, (_, i) => i + 1));
    expect(j.events<DecisionPayload>(cfg.runId, "decision").filter((d) => d.payload.missed).map((d) => d.payload.step)).toEqual([0]);
    expect(injectedHits).toBe(injected.length);
    expect(kills).toBeGreaterThanOrEqual(3);
    process.stdout.write(`paper crash test: ${starts} starts, ${injectedHits} injected crashes + ${kills} random SIGKILLs, ${s.trades} trades, sha256 matches the backtest\n`);
  }, 180_000);
});
