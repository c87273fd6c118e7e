/**
 * Paper = backtest, by construction and measured: 14 days of real shared BTC/USDT 1h bars replayed
 * through the paper loop on the loopback fake exchange (its clock advanced bar by bar; ccxt over
 * HTTP to 127.0.0.1), against `backtest` on the same bars and parameters.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { Journal } from "../src/live/journal.js";
import { runPaper, type DecisionPayload } from "../src/live/paper.js";
import { backtest } from "../src/sim.js";
import { fakeExchange, H, iso } from "../src/testing/fake-exchange.js";
import { btcStore, paperConfigFile, replayClock } from "../src/testing/paper.js";
import { tempDir } from "../src/testing/paths.js";

const FROM = iso("2025-01-01T00:00:00Z");
const TO = iso("2025-01-15T00:00:00Z");

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("paper trading replays a backtest bit for bit", () => {
  for (const [name, strategy, params] of [
    ["ema 12/26", { kind: "emaCross", fast: 12, slow: 26 }, { startingCash: 10_000 }],
    ["band 1%/1%, half fractions, touch fills", { kind: "band", buyOffset: 0.01, sellOffset: 0.01, buyFrac: 0.5, sellFrac: 0.5 }, { startingCash: 10_000, fillRule: { kind: "touch" } }],
  ] as const) {
    it(`${name}: same trade SHA-256, cash and equity as tradelab backtest over 336 bars`, async () => {
      fx = await fakeExchange();
      const dir = tempDir("tradelab-paper-");
      const store = await btcStore(dir);
      const bt = await backtest({ store, symbol: "BTC/USDT", interval: "1h", from: FROM, to: TO, strategy, params });
      expect(bt.trades.length).toBeGreaterThan(10);
      const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: "2025-01-01", until: "2025-01-15", strategy, params }));
      // The loop starts when the first bar has just closed.
      const clock = replayClock(fx, FROM + H);
      const t0 = performance.now();
      const s = await runPaper(cfg, { clock });
      const wall = performance.now() - t0;
      expect(s.status.stepped).toBe(336);
      expect(s.tradeSha256).toBe(bt.tradeSha256);
      expect(s.trades).toBe(bt.trades.length);
      expect(s.status.cash).toBe(bt.finalCash);
      expect(s.status.position).toBe(bt.finalInventory);
      expect(s.status.equity).toBe(bt.curve.equity[bt.curve.equity.length - 1]);
      expect(s.missed).toBe(0);
      // Every order was decided and journaled before its bar closed; no open bar was ever pushed.
      const j = new Journal(cfg.journal);
      const decisions = j.events<DecisionPayload>(cfg.runId, "decision");
      expect(decisions.filter((d) => d.payload.missed).map((d) => d.payload.step)).toEqual([0]);
      const klines = fx.requests.filter((r) => r.route === "klines");
      expect(klines.length).toBeGreaterThanOrEqual(336);
      expect(fx.url.startsWith("http://127.0.0.1:")).toBe(true);
      process.stdout.write(`paper parity ${name}: ${s.trades} trades, sha256 ${s.tradeSha256.slice(0, 16)}…, 336 bars in ${(wall / 1000).toFixed(2)} s (${(wall / 336).toFixed(1)} ms/bar incl. HTTP), step+journal mean ${s.latencyMs.mean.toFixed(2)} ms p95 ${s.latencyMs.p95.toFixed(2)} ms\n`);
    });
  }

  it("a second run of the same config resumes its journal and steps nothing twice", async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-");
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: "2025-01-01", until: "2025-01-03" }));
    const a = await runPaper(cfg, { clock: replayClock(fx, FROM + H) });
    const b = await runPaper(cfg, { clock: replayClock(fx, iso("2025-01-03T00:00:00Z")) });
    expect(b.resumed).toBe(true);
    expect(b.steppedNow).toBe(0);
    expect(b.tradeSha256).toBe(a.tradeSha256);
  });

  it("after Binance answers HTTP 451 the bars come from Binance.US, and the summary says so", async () => {
    fx = await fakeExchange({ restricted: true });
    const dir = tempDir("tradelab-paper-");
    const logs: string[] = [];
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: "2025-01-01", until: "2025-01-01T06:00:00Z" }));
    const s = await runPaper(cfg, { clock: replayClock(fx, FROM + H), log: (m) => logs.push(m) });
    expect(s.status.stepped).toBe(6);
    expect(cfg.exchange).toBe("binance");
    expect(s.barsFrom).toBe("binanceus");
    expect(logs.some((l) => /HTTP 451/.test(l))).toBe(true);
  });
});
