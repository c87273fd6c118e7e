/**
 * Bar downloads through real ccxt against the loopback fake exchange, which serves real bars from
 * ../shared/data. Nothing here touches the internet.
 */
import { afterEach, describe, expect, it } from "vitest";
import { downloadBars, type DownloadOptions } from "../src/download/bars.js";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { openStore } from "../src/store.js";
import { BTC_1H, ETH_5M, FAST_RETRY, H, fakeExchange, iso, ohlcv, referenceBars } from "../src/testing/fake-exchange.js";
import { tempDir } from "../src/testing/paths.js";

const JAN = iso("2025-01-01T00:00:00Z");
const FEB = iso("2025-02-01T00:00:00Z");

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function start(o: Parameters<typeof fakeExchange>[0] = {}): Promise<FakeExchange> {
  fx = await fakeExchange(o);
  return fx;
}

function opts(f: FakeExchange, store: string, o: Partial<DownloadOptions> = {}): DownloadOptions {
  return { exchange: "binance", symbols: ["BTC/USDT"], interval: "1h", since: JAN, until: FEB, store, baseUrl: f.url, retry: FAST_RETRY, ...o };
}

const klines = (f: FakeExchange, venue = "binance") => f.requests.filter((r) => r.route === "klines" && r.venue === venue);

describe("download from the fake Binance", () => {
  it("stores exactly the shared bars of January 2025 (744), identical values, recorded as ccxt:binance", async () => {
    const f = await start();
    const store = tempDir();
    const r = await downloadBars(opts(f, store));
    expect(r.ok).toBe(true);
    const s = r.symbols[0]!;
    expect(s).toMatchObject({ exchange: "binance", source: "ccxt:binance", barsFetched: 744, barsAdded: 744, openBarsDropped: 0, error: null });
    expect(s.info?.rows).toBe(744);
    expect(s.info?.gaps.count).toBe(0);
    expect(s.info?.sources.map((x) => x.source)).toEqual(["ccxt:binance"]);
    const got = await openStore(store).readArrays("BTC/USDT", "1h");
    expect(ohlcv(got)).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });

  it("paginates across many pages when the server caps pages at 50 bars", async () => {
    const f = await start({ maxLimit: 50 });
    const store = tempDir();
    const r = await downloadBars(opts(f, store));
    expect(r.ok).toBe(true);
    const pages = klines(f);
    expect(pages).toHaveLength(15); // 14 x 50 + 44
    expect(r.symbols[0]!.pages).toBe(15);
    // Each page starts right after the previous page's last bar.
    for (let i = 1; i < pages.length; i++) expect(Number(pages[i]!.query["startTime"])).toBe(pages[i - 1]!.lastTs! + H);
    expect(ohlcv(await openStore(store).readArrays("BTC/USDT", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });

  it("paginates 5m bars with a client page size", async () => {
    const f = await start();
    const store = tempDir();
    const from = iso("2024-03-01T00:00:00Z");
    const to = iso("2024-03-03T00:00:00Z");
    const r = await downloadBars(opts(f, store, { symbols: ["ETH/USDT"], interval: "5m", since: from, until: to, pageSize: 100 }));
    expect(r.ok).toBe(true);
    expect(r.symbols[0]!.barsAdded).toBe(576);
    expect(klines(f)).toHaveLength(6);
    expect(ohlcv(await openStore(store).readArrays("ETH/USDT", "5m"))).toEqual(ohlcv(await referenceBars(ETH_5M, "ETH/USDT", "5m", from, to)));
  });

  it("never stores the still-open bar, and stores it once it has closed", async () => {
    const now1 = iso("2025-01-10T05:30:00Z");
    const f = await start({ now: now1 });
    const store = tempDir();
    const day = iso("2025-01-10T00:00:00Z");
    const r1 = await downloadBars(opts(f, store, { since: day, until: undefined, now: () => now1 }));
    expect(r1.ok).toBe(true);
    // The exchange did serve the partial 05:00 bar ...
    expect(klines(f).at(-1)).toMatchObject({ servedOpenBar: true, lastTs: iso("2025-01-10T05:00:00Z") });
    // ... and it was dropped.
    expect(r1.symbols[0]).toMatchObject({ openBarsDropped: 1, barsAdded: 5 });
    const s = openStore(store);
    expect((await s.info("BTC/USDT", "1h")).lastIso).toBe("2025-01-10T04:00:00Z");

    // An hour later 05:00 has closed: the next run resumes there and stores the real, complete bar.
    const now2 = iso("2025-01-10T06:10:00Z");
    f.setNow(now2);
    const r2 = await downloadBars(opts(f, store, { since: undefined, until: undefined, now: () => now2 }));
    expect(r2.symbols[0]).toMatchObject({ ok: true, resumedFrom: iso("2025-01-10T05:00:00Z"), barsAdded: 1, openBarsDropped: 1 });
    expect(ohlcv(await s.readArrays("BTC/USDT", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", day, iso("2025-01-10T06:00:00Z"))));
  });

  it("resumes incrementally from the last stored bar", async () => {
    const f = await start();
    const store = tempDir();
    const mid = iso("2025-01-15T00:00:00Z");
    await downloadBars(opts(f, store, { until: mid }));
    const before = klines(f).length;
    const r = await downloadBars(opts(f, store));
    const second = klines(f).slice(before);
    expect(Number(second[0]!.query["startTime"])).toBe(mid);
    expect(r.symbols[0]).toMatchObject({ resumedFrom: mid, barsFetched: 744 - 14 * 24, barsAdded: 744 - 14 * 24 });
    const info = await openStore(store).info("BTC/USDT", "1h");
    expect(info.rows).toBe(744);
    expect(info.sources.map((x) => x.rowsAdded)).toEqual([14 * 24, 744 - 14 * 24]);
    // Up to date: a third run asks for no bars.
    const r3 = await downloadBars(opts(f, store));
    expect(r3.symbols[0]).toMatchObject({ ok: true, upToDate: true, barsFetched: 0 });
    expect(klines(f).length).toBe(before + second.length);
  });

  it("falls back to Binance.US on HTTP 451 and says so once", async () => {
    const f = await start({ restricted: true });
    const store = tempDir();
    const logs: string[] = [];
    const r = await downloadBars(opts(f, store, { symbols: ["BTC/USDT", "ETH/USDT"], log: (m) => logs.push(m) }));
    expect(r.ok).toBe(true);
    expect(r.fellBackTo).toBe("binanceus");
    expect(r.symbols.map((s) => [s.exchange, s.source, s.barsAdded])).toEqual([
      ["binanceus", "ccxt:binanceus", 744],
      ["binanceus", "ccxt:binanceus", 744],
    ]);
    expect(logs.filter((l) => l.includes("HTTP 451"))).toHaveLength(1);
    expect(logs[0]).toMatch(/using Binance\.US \(http:\/\/127\.0\.0\.1:\d+\/us\)/);
    expect(f.requests[0]).toMatchObject({ venue: "binance", status: 451 });
    expect(klines(f, "binanceus").length).toBeGreaterThan(0);
    expect(klines(f, "binance")).toHaveLength(0);
    expect((await openStore(store).info("ETH/USDT", "1h")).sources.map((s) => s.source)).toEqual(["ccxt:binanceus"]);
  });

  it("a 451 fallback does not silently append Binance.US bars to a Binance dataset", async () => {
    const f = await start();
    const store = tempDir();
    await downloadBars(opts(f, store, { until: iso("2025-01-15T00:00:00Z") }));
    f.setRestricted(true);
    const r = await downloadBars(opts(f, store, { log: () => {} }));
    expect(r.ok).toBe(false);
    expect(r.symbols[0]!.error).toMatch(/holds bars from ccxt:binance; adding ccxt:binanceus bars would mix sources\. Pass --mix-sources/);
    expect((await openStore(store).info("BTC/USDT", "1h")).rows).toBe(14 * 24);
    const ok = await downloadBars(opts(f, store, { log: () => {}, mixSources: true }));
    expect(ok.ok).toBe(true);
    expect((await openStore(store).info("BTC/USDT", "1h")).sources.map((s) => s.source)).toEqual(["ccxt:binance", "ccxt:binanceus"]);
  });

  it("retries after HTTP 429 and 5xx with backoff, then succeeds", async () => {
    const f = await start({ maxLimit: 200 });
    f.fail({ route: "klines", kind: "429" });
    f.fail({ route: "klines", kind: "502", after: 2 });
    const store = tempDir();
    const logs: string[] = [];
    const r = await downloadBars(opts(f, store, { log: (m) => logs.push(m) }));
    expect(r.ok).toBe(true);
    expect(r.symbols[0]!.barsAdded).toBe(744);
    expect(klines(f).map((q) => q.status)).toEqual([429, 200, 502, 200, 200, 200]);
    expect(logs.some((l) => /rate limited/.test(l))).toBe(true);
    expect(logs.some((l) => /server error/.test(l))).toBe(true);
  });

  it("a timeout mid-download keeps a consistent store and the next run resumes", async () => {
    const f = await start({ maxLimit: 100 });
    f.fail({ route: "klines", kind: "timeout", after: 3, times: Infinity });
    const store = tempDir();
    const r = await downloadBars(opts(f, store, { timeoutMs: 300 }));
    expect(r.ok).toBe(false);
    expect(r.symbols[0]!.error).toMatch(/request timed out after 3 attempts/);
    const s = openStore(store);
    const info = await s.info("BTC/USDT", "1h");
    expect(info.rows).toBe(300); // the three pages before the timeout, contiguous
    expect(info.gaps.count).toBe(0);
    expect((await s.check()).every((c) => c.ok)).toBe(true);

    f.clearFaults();
    const again = await downloadBars(opts(f, store, { timeoutMs: 300 }));
    expect(again.symbols[0]).toMatchObject({ ok: true, resumedFrom: JAN + 300 * H, barsAdded: 444 });
    expect(ohlcv(await s.readArrays("BTC/USDT", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });

  it("malformed JSON gives a clear error and writes nothing", async () => {
    const f = await start({ maxLimit: 100 });
    f.fail({ route: "klines", kind: "malformed", after: 2 });
    const store = tempDir();
    const r = await downloadBars(opts(f, store));
    expect(r.ok).toBe(false);
    expect(r.symbols[0]!.error).toMatch(/binance GET http:\/\/127\.0\.0\.1:\d+\/api\/v3\/klines\?.*: the response is not valid JSON \(\d+ bytes, starting "\[\[1735689600000,/);
    expect(klines(f)).toHaveLength(3); // not retried
    await expect(openStore(store).info("BTC/USDT", "1h")).rejects.toThrow(/no bars stored/);
  });

  it("reports gaps and --fill-gaps-from backfills only the missing bars, recorded as a gap fill", async () => {
    const f = await start();
    const holes = [iso("2025-01-05T10:00:00Z"), iso("2025-01-05T11:00:00Z"), iso("2025-01-20T03:00:00Z")];
    f.hide("binance", "BTC/USDT", holes);
    const store = tempDir();
    const r = await downloadBars(opts(f, store));
    expect(r.symbols[0]!.info?.gaps).toMatchObject({ count: 2, missing_bars: 3 });

    const filled = await downloadBars(opts(f, store, { fillGapsFrom: "binanceus" }));
    const s0 = filled.symbols[0]!;
    expect(s0.upToDate).toBe(true);
    expect(s0.gapFill).toEqual({ exchange: "binanceus", source: "ccxt:binanceus:gap-fill", ranges: 2, missingBefore: 3, filled: 3, stillMissing: 0 });
    // Binance.US was asked for the gaps only.
    expect(klines(f, "binanceus").map((q) => Number(q.query["startTime"]))).toEqual([holes[0], holes[2]]);
    const info = await openStore(store).info("BTC/USDT", "1h");
    expect(info.gaps.count).toBe(0);
    expect(info.sources.map((x) => [x.source, x.rowsAdded])).toEqual([
      ["ccxt:binance", 741],
      ["ccxt:binanceus:gap-fill", 3],
    ]);
    expect(ohlcv(await openStore(store).readArrays("BTC/USDT", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });

  it("refuses to mix venues without --mix-sources and records them with it", async () => {
    const f = await start();
    const store = tempDir();
    await downloadBars(opts(f, store, { until: iso("2025-01-10T00:00:00Z") }));
    const r = await downloadBars(opts(f, store, { exchange: "binanceus" }));
    expect(r.symbols[0]!.error).toMatch(/would mix sources/);
    expect((await openStore(store).info("BTC/USDT", "1h")).rows).toBe(9 * 24);
    const ok = await downloadBars(opts(f, store, { exchange: "binanceus", mixSources: true }));
    expect(ok.symbols[0]).toMatchObject({ ok: true, source: "ccxt:binanceus", barsAdded: 744 - 9 * 24 });
  });

  it("needs --since for a new dataset and rejects unknown markets clearly", async () => {
    const f = await start();
    const store = tempDir();
    const r = await downloadBars(opts(f, store, { since: undefined, symbols: ["BTC/USDT", "FOO/USDT"] }));
    expect(r.symbols[0]!.error).toMatch(/nothing stored yet for BTC\/USDT 1h .*pass --since/);
    expect(r.symbols[1]!.error).toMatch(/binance lists no market FOO\/USDT/);
  });
});

describe("download perpetual bars from the fake Binance futures", () => {
  it("loads USDⓈ-M markets for BTC/USDT:USDT and stores the shared futures bars", async () => {
    const f = await start();
    const store = tempDir();
    const r = await downloadBars(opts(f, store, { symbols: ["BTC/USDT:USDT"] }));
    expect(r.symbols[0]).toMatchObject({ ok: true, barsAdded: 744, source: "ccxt:binance" });
    expect(klines(f, "binance-futures").length).toBe(1);
    expect(ohlcv(await openStore(store).readArrays("BTC/USDT:USDT", "1h"))).toEqual(
      ohlcv(await referenceBars("binance_roshan7869_algotrading/futures_1h/BTC_USDT_USDT-1h-futures.feather", "BTC/USDT:USDT", "1h", JAN, FEB)),
    );
  });
});

describe("download from the fake Alpaca", () => {
  it("pages through crypto bars and records ccxt:alpaca", async () => {
    const f = await start({ maxLimit: 200 });
    const store = tempDir();
    const r = await downloadBars(opts(f, store, { exchange: "alpaca", symbols: ["BTC/USD"] }));
    expect(r.symbols[0]).toMatchObject({ ok: true, source: "ccxt:alpaca", barsAdded: 744 });
    const pages = f.requests.filter((q) => q.venue === "alpaca" && q.route === "bars");
    expect(pages).toHaveLength(4);
    // The fake serves Alpaca's BTC/USD from the Binance BTC/USDT bars.
    expect(ohlcv(await openStore(store).readArrays("BTC/USD", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });
});
