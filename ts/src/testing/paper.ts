/**
 * Test helpers for paper runs on the loopback fake exchange: a paper config file pointing at it,
 * the same bars in a store for `backtest`, and a replay clock that moves the exchange's clock.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { FakeExchange } from "../testkit/fake-exchange.js";
import type { Clock } from "../live/feed.js";
import { openStore } from "../store.js";
import { BTC_1H } from "./fake-exchange.js";
import { sharedData } from "./paths.js";

/** Writes a paper config for BTC/USDT 1h on the fake exchange into `dir`; returns its path. */
export function paperConfigFile(dir: string, fx: FakeExchange, o: Record<string, unknown>): string {
  const file = path.join(dir, `paper-${Math.random().toString(36).slice(2, 8)}.json`);
  const cfg = {
    exchange: "binance",
    baseUrl: fx.url,
    symbol: "BTC/USDT",
    interval: "1h",
    strategy: { kind: "emaCross", fast: 12, slow: 26 },
    params: { startingCash: 10_000 },
    delayMs: 0,
    clock: "venue",
    pollMs: 5,
    journal: path.join(dir, "journal.sqlite"),
    ...o,
  };
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

/** A store holding the shared BTC/USDT 1h bars (what the fake exchange serves), for backtests. */
export async function btcStore(dir: string): Promise<string> {
  const store = path.join(dir, "store");
  await openStore(store).import(path.join(sharedData(), BTC_1H), { symbol: "BTC/USDT", interval: "1h" });
  return store;
}

/** The loop's clock is the fake exchange's: waiting sets it (a replay as fast as the loop runs). */
export function replayClock(fx: FakeExchange, start: number): Clock & { readonly t: number } {
  let t = start;
  fx.setNow(t);
  return {
    get t() {
      return t;
    },
    now: () => Promise.resolve(t),
    waitUntil(at) {
      t = Math.max(t, at);
      fx.setNow(t);
      return Promise.resolve();
    },
  };
}
