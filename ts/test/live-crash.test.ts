/**
 * kill -9 of the live loop: `tradelab live --yes-i-mean-live` runs as a child process against the
 * loopback fake exchange's Binance spot account (clock "replay": the loop moves the exchange's
 * clock, so no bar passes while it is down) and is SIGKILLed at injected points (after the
 * intents, after an order reached the venue but before its ack, before and after a bar's commit)
 * and at random moments, then restarted. At the end: no order sent twice, every venue fill booked
 * exactly once, the engine's position equals the venue's.
 */
import { spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { Journal } from "../src/live/journal.js";
import type { StatePayload } from "../src/live/paper.js";
import { fakeExchange, H, iso } from "../src/testing/fake-exchange.js";
import { paperConfigFile } from "../src/testing/paper.js";
import { cliPath, tempDir } from "../src/testing/paths.js";

const FROM = iso("2025-01-01T00:00:00Z");
const BARS = 24;
const BAND = { kind: "band", buyOffset: 0.002, sellOffset: 0.002, buyFrac: 0.5, sellFrac: 0.5 } as const;

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

function run(config: string, crash: string | undefined, killAfterMs: number | undefined): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, BINANCE_API_KEY: "crash-key", BINANCE_API_SECRET: "crash-secret" };
  if (crash) env["TRADELAB_PAPER_CRASH"] = crash;
  else delete env["TRADELAB_PAPER_CRASH"];
  const p = spawn(process.execPath, [cliPath, "live", "--config", config, "--yes-i-mean-live", "--json"], { env });
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => p.kill("SIGKILL"), killAfterMs);
  return new Promise((resolve) =>
    p.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

describe("live loop under kill -9", () => {
  it(`${BARS} bars: no duplicate order, no lost or doubled fill, engine position = venue balance`, async () => {
    fx = await fakeExchange({ now: FROM + H, account: { balances: { USDT: 10_000 }, filters: { tickSize: "0.01", stepSize: "0.00001", minNotional: "5" } } });
    const dir = tempDir("tradelab-live-crash-");
    const file = paperConfigFile(dir, fx, { from: FROM, until: FROM + BARS * H, strategy: BAND, clock: "replay", runId: "live-crash" });
    const cfg = readPaperConfig(file);
    const injected = ["after-intent@2", "after-place@4", "before-commit@6", "after-commit@8", "after-place@11"];
    let rng = 7;
    const rand = () => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let starts = 0;
    let killed = 0;
    let randomKills = 0;
    let last: Awaited<ReturnType<typeof run>> | undefined;
    const deadline = Date.now() + 150_000;
    for (;;) {
      expect(Date.now()).toBeLessThan(deadline);
      const crash = injected[starts];
      const random = crash === undefined && randomKills < 3 ? 1500 + Math.floor(rand() * 1500) : undefined;
      if (random !== undefined) randomKills++;
      starts++;
      last = await run(file, crash, random);
      if (last.code === 0) break;
      expect(last.signal, last.stderr).toBe("SIGKILL");
      killed++;
    }
    const s = JSON.parse(last.stdout) as { status: { stepped: number; position: number }; trades: number };
    expect(s.status.stepped).toBe(BARS);
    const j = new Journal(cfg.journal);
    const acc = fx.account;
    // No order sent twice: each client id once on the venue, each from a journaled intent.
    const intents = j.events(cfg.runId, "intent").map((e) => e.ref as string);
    const ids = acc.orders.map((o) => o.clientOrderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((c) => intents.includes(c))).toBe(true);
    // No lost or doubled fill: every venue trade booked once.
    const fills = j.events<{ venueTradeId: string }>(cfg.runId, "fill").map((e) => e.payload.venueTradeId);
    expect(new Set(fills).size).toBe(fills.length);
    expect([...fills].sort()).toEqual(acc.trades.map((t) => String(t.id)).sort());
    const btc = acc.balances.get("BTC");
    expect(s.status.position).toBeCloseTo((btc?.free ?? 0) + (btc?.locked ?? 0), 9);
    const bars = j.events<StatePayload>(cfg.runId, "state").map((e) => e.payload.engine.bar);
    expect(bars).toEqual(Array.from({ length: BARS }, (_, i) => i + 1));
    expect(killed).toBeGreaterThanOrEqual(injected.length + 1);
    expect(acc.trades.length).toBeGreaterThan(3);
    process.stdout.write(`live crash test: ${starts} starts, ${killed} SIGKILLs (${injected.length} injected, the rest at random moments), ${acc.orders.length} venue orders, ${acc.trades.length} venue fills, each booked once\n`);
  }, 200_000);
});
