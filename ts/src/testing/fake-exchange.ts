/**
 * Test helpers around the loopback fake exchange (ts/src/testkit/fake-exchange.ts): start one on
 * the shared market data, read reference bars straight from the shared feather files, and build
 * Binance Vision archives from real bars.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { zipSync } from "fflate";
import { startFakeExchange, type FakeExchange, type FakeExchangeOptions } from "../testkit/fake-exchange.js";
import { openStore, type BarArrays } from "../store.js";
import { sharedData, tempDir } from "./paths.js";

export type { FakeExchange };

export const BTC_1H = "binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather";
export const ETH_5M = "binance_imsatoshi_genetrader/ETH_USDT-5m.feather";
export const BTC_FUNDING = "binance_roshan7869_algotrading/funding/BTC_USDT_USDT-1h-funding_rate.feather";

export const H = 3_600_000;
export const iso = (s: string): number => Date.parse(s);

/** A fake exchange serving `../shared/data`. */
export function fakeExchange(o: Partial<FakeExchangeOptions> = {}): Promise<FakeExchange> {
  return startFakeExchange({ dataDir: sharedData(), ...o });
}

/** Retry settings that keep tests fast. */
export const FAST_RETRY = { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 20 } as const;

/** Bars of a shared feather file with open times in [from, to), read through the Rust importer. */
export async function referenceBars(rel: string, symbol: string, interval: string, from: number, to: number): Promise<BarArrays> {
  const s = openStore(tempDir("tradelab-ref-"));
  await s.import(path.join(sharedData(), rel), { symbol, interval });
  return sliceBars(await s.readArrays(symbol, interval), from, to);
}

export function sliceBars(b: BarArrays, from: number, to: number): BarArrays {
  let i = 0;
  while (i < b.ts.length && (b.ts[i] as number) < from) i++;
  let j = i;
  while (j < b.ts.length && (b.ts[j] as number) < to) j++;
  return {
    ts: b.ts.slice(i, j),
    open: b.open.slice(i, j),
    high: b.high.slice(i, j),
    low: b.low.slice(i, j),
    close: b.close.slice(i, j),
    volume: b.volume.slice(i, j),
  };
}

/** The six OHLCV columns as plain arrays, for exact `toEqual` comparisons. */
export function ohlcv(b: BarArrays): Record<string, number[]> {
  return {
    ts: Array.from(b.ts),
    open: Array.from(b.open),
    high: Array.from(b.high),
    low: Array.from(b.low),
    close: Array.from(b.close),
    volume: Array.from(b.volume),
  };
}

/**
 * Binance Vision kline CSV rows (12 columns) for real bars. `unit` µs reproduces the 2025+ spot
 * files; `header` the futures files.
 */
export function klineCsv(b: BarArrays, intervalMs: number, o: { unit: "ms" | "us"; header?: boolean }): string {
  const k = o.unit === "us" ? 1000 : 1;
  const lines: string[] = [];
  if (o.header) lines.push("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore");
  for (let i = 0; i < b.ts.length; i++) {
    const t = b.ts[i] as number;
    const v = b.volume[i] as number;
    const c = b.close[i] as number;
    lines.push([t * k, b.open[i], b.high[i], b.low[i], c, v, (t + intervalMs) * k - 1, v * c, 100 + i, v / 2, (v * c) / 2, 0].join(","));
  }
  return lines.join("\n") + "\n";
}

/** Writes `<dir>/<name>.zip` holding `<name>.csv`, plus a Binance-style `.CHECKSUM` (sha256) file. */
export function writeVisionZip(dir: string, name: string, csv: string, o: { checksum?: "good" | "bad" | "none" } = {}): string {
  const zip = zipSync({ [`${name}.csv`]: new TextEncoder().encode(csv) });
  const file = path.join(dir, `${name}.zip`);
  writeFileSync(file, zip);
  const mode = o.checksum ?? "good";
  if (mode !== "none") {
    const sum = mode === "good" ? createHash("sha256").update(zip).digest("hex") : "0".repeat(64);
    writeFileSync(`${file}.CHECKSUM`, `${sum}  ${name}.zip\n`);
  }
  return file;
}
