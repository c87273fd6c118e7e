/** Funding-rate downloads (fake Binance futures) and Binance Vision archive imports, on real data. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { zipSync } from "fflate";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { downloadFunding } from "../src/download/funding.js";
import { FundingStore } from "../src/download/funding-store.js";
import { importVision, parseVisionName } from "../src/download/vision.js";
import { openStore } from "../src/store.js";
import { BTC_1H, BTC_FUNDING, FAST_RETRY, H, fakeExchange, iso, klineCsv, ohlcv, referenceBars, writeVisionZip } from "../src/testing/fake-exchange.js";
import { sharedData, tempDir } from "../src/testing/paths.js";

const JAN = iso("2025-01-01T00:00:00Z");
const FEB = iso("2025-02-01T00:00:00Z");
const MAR = iso("2025-03-01T00:00:00Z");

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function referenceFunding(from: number, to: number): Promise<{ ts: number[]; rate: number[] }> {
  const f = await FundingStore.readFile(path.join(sharedData(), BTC_FUNDING));
  const ts: number[] = [];
  const rate: number[] = [];
  f.ts.forEach((t, i) => {
    if (t >= from && t < to) {
      ts.push(t);
      rate.push(f.rate[i] as number);
    }
  });
  return { ts, rate };
}

describe("funding rates", () => {
  it("downloads BTC/USDT:USDT funding history page by page, identical to the shared file, and resumes", async () => {
    fx = await fakeExchange({ maxLimit: 40 });
    const store = tempDir();
    const o = { exchange: "binance" as const, symbols: ["BTC/USDT:USDT"], since: JAN, until: FEB, store, baseUrl: fx.url, retry: FAST_RETRY };
    const r = await downloadFunding(o);
    expect(r.ok).toBe(true);
    expect(r.symbols[0]).toMatchObject({ source: "ccxt:binance", eventsFetched: 93, eventsAdded: 93 });
    expect(fx.requests.filter((q) => q.route === "fundingRate").length).toBeGreaterThanOrEqual(3);
    const fs = new FundingStore(store);
    const got = await fs.read("BTC/USDT:USDT");
    expect({ ts: Array.from(got.ts), rate: Array.from(got.rate) }).toEqual(await referenceFunding(JAN, FEB));
    const info = await fs.info("BTC/USDT:USDT");
    expect(info).toMatchObject({ rows: 93, medianSpacingMs: 8 * H, firstIso: "2025-01-01T00:00:00Z", lastIso: "2025-01-31T16:00:00Z" });
    expect(info.path).toBe(path.join(store, "BTC_USDT_USDT/funding/series.parquet"));

    const more = await downloadFunding({ ...o, since: undefined, until: MAR });
    expect(more.symbols[0]).toMatchObject({ ok: true, resumedFrom: iso("2025-01-31T16:00:00Z") + 1, eventsAdded: 84 });
    const all = await fs.read("BTC/USDT:USDT");
    expect({ ts: Array.from(all.ts), rate: Array.from(all.rate) }).toEqual(await referenceFunding(JAN, MAR));
    expect((await fs.info("BTC/USDT:USDT")).sources.map((s) => s.rowsAdded)).toEqual([93, 84]);
    // Funding series are not bar sets.
    expect(await openStore(store).list()).toEqual([]);
    expect(await fs.list()).toEqual(["BTC/USDT:USDT"]);
  });

  it("has no Binance.US fallback for futures and says why; a spot symbol is refused", async () => {
    fx = await fakeExchange({ restricted: true });
    const store = tempDir();
    const r = await downloadFunding({ exchange: "binance", symbols: ["BTC/USDT:USDT", "BTC/USDT"], since: JAN, store, baseUrl: fx.url, retry: FAST_RETRY });
    expect(r.ok).toBe(false);
    expect(r.symbols[0]!.error).toMatch(/restricted location \(HTTP 451\) \(Binance refuses this location; Binance\.US has no such market/);
    expect(r.symbols[1]!.error).toMatch(/BTC\/USDT is not a perpetual swap/);
    expect(fx.requests.some((q) => q.venue === "binanceus")).toBe(false);
  });

  it("malformed funding JSON writes nothing", async () => {
    fx = await fakeExchange({ maxLimit: 30 });
    fx.fail({ route: "fundingRate", kind: "malformed", after: 1 });
    const store = tempDir();
    const r = await downloadFunding({ exchange: "binance", symbols: ["BTC/USDT:USDT"], since: JAN, until: FEB, store, baseUrl: fx.url, retry: FAST_RETRY });
    expect(r.symbols[0]!.error).toMatch(/not valid JSON/);
    await expect(new FundingStore(store).read("BTC/USDT:USDT")).rejects.toThrow(/no funding rates stored/);
  });
});

describe("Binance Vision archives", () => {
  it("reads names", () => {
    expect(parseVisionName("/x/BTCUSDT-1h-2025-01.zip")).toEqual({ symbol: "BTC/USDT", interval: "1h", period: "2025-01" });
    expect(parseVisionName("ETHFDUSD-5m-2025-01-15.csv")).toEqual({ symbol: "ETH/FDUSD", interval: "5m", period: "2025-01-15" });
    expect(parseVisionName("whatever.zip")).toEqual({ symbol: null, interval: null, period: null });
  });

  it("imports monthly zips with ms (2024) and µs (2025) timestamps, with and without header, checksums verified", async () => {
    const dec = await referenceBars(BTC_1H, "BTC/USDT", "1h", iso("2024-12-01T00:00:00Z"), JAN);
    const jan = await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB);
    const dir = tempDir();
    const zDec = writeVisionZip(dir, "BTCUSDT-1h-2024-12", klineCsv(dec, H, { unit: "ms" }));
    const zJan = writeVisionZip(dir, "BTCUSDT-1h-2025-01", klineCsv(jan, H, { unit: "us" }));
    expect(readFileSync(zJan).subarray(0, 2).toString()).toBe("PK");
    const store = tempDir();
    const reports = await importVision([zJan, zDec], { store });
    expect(reports.map((r) => [path.basename(r.archive), r.entry, r.format, r.checksum, r.rowsAdded, r.source])).toEqual([
      ["BTCUSDT-1h-2024-12.zip", "BTCUSDT-1h-2024-12.csv", "binance-klines", "ok", 744, "binance-vision:BTCUSDT-1h-2024-12.zip"],
      ["BTCUSDT-1h-2025-01.zip", "BTCUSDT-1h-2025-01.csv", "binance-klines", "ok", 744, "binance-vision:BTCUSDT-1h-2025-01.zip"],
    ]);
    const got = await openStore(store).readArrays("BTC/USDT", "1h");
    expect(ohlcv(got)).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", iso("2024-12-01T00:00:00Z"), FEB)));
    expect(got.trades?.[0]).toBe(100); // the archive's trade count is kept

    // A futures-style archive with a header, for a perpetual.
    const zFut = writeVisionZip(dir, "BTCUSDT-1h-2025-02", klineCsv(await referenceBars(BTC_1H, "BTC/USDT", "1h", FEB, MAR), H, { unit: "ms", header: true }), { checksum: "none" });
    const [fut] = await importVision([zFut], { store, symbol: "BTC/USDT:USDT" });
    expect(fut).toMatchObject({ format: "csv", checksum: "absent", rowsAdded: 672 });
    expect(fut!.info.symbol).toBe("BTC/USDT:USDT");
  });

  it("a vision download continues a ccxt:binance dataset (same venue) but not a Binance.US one", async () => {
    const jan = await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB);
    const dir = tempDir();
    const z = writeVisionZip(dir, "BTCUSDT-1h-2025-01", klineCsv(jan, H, { unit: "us" }));
    const us = tempDir();
    await openStore(us).merge(await referenceBars(BTC_1H, "BTC/USDT", "1h", iso("2024-12-31T00:00:00Z"), JAN), { symbol: "BTC/USDT", interval: "1h", source: "ccxt:binanceus" });
    await expect(importVision([z], { store: us })).rejects.toThrow(/holds bars from ccxt:binanceus; adding binance-vision:BTCUSDT-1h-2025-01\.zip bars would mix sources/);
    const global = tempDir();
    await openStore(global).merge(await referenceBars(BTC_1H, "BTC/USDT", "1h", iso("2024-12-31T00:00:00Z"), JAN), { symbol: "BTC/USDT", interval: "1h", source: "ccxt:binance" });
    const [r] = await importVision([z], { store: global });
    expect(r!.rowsTotal).toBe(768);
  });

  it("refuses a corrupt archive (checksum), a wrong interval and a bad row, naming the zip entry; nothing written", async () => {
    const jan = await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB);
    const dir = tempDir();
    const store = tempDir();
    const bad = writeVisionZip(dir, "BTCUSDT-1h-2025-01", klineCsv(jan, H, { unit: "us" }), { checksum: "bad" });
    await expect(importVision([bad], { store })).rejects.toThrow(/BTCUSDT-1h-2025-01\.zip: sha256 is [0-9a-f]{64} but BTCUSDT-1h-2025-01\.zip\.CHECKSUM says 0{64}/);

    const sub = path.join(dir, "wrong");
    mkdirSync(sub);
    const wrong = writeVisionZip(sub, "BTCUSDT-1h-2025-01", klineCsv(jan, H, { unit: "us" }));
    await expect(importVision([wrong], { store, interval: "4h" })).rejects.toThrow(/BTCUSDT-1h-2025-01\.zip!BTCUSDT-1h-2025-01\.csv: row 1 \(line 1\): .*wrong interval/);

    const rows = klineCsv(jan, H, { unit: "ms" }).split("\n");
    rows[9] = rows[9]!.replace(/^(\d+),([^,]+),([^,]+),/, "$1,$2,-5,");
    const sub2 = path.join(dir, "badrow");
    mkdirSync(sub2);
    const badRow = writeVisionZip(sub2, "BTCUSDT-1h-2025-01", rows.join("\n"));
    await expect(importVision([badRow], { store })).rejects.toThrow(/BTCUSDT-1h-2025-01\.zip!BTCUSDT-1h-2025-01\.csv: row 10 \(line 10\)/);
    await expect(openStore(store).info("BTC/USDT", "1h")).rejects.toThrow(/no bars stored/);

    const notZip = path.join(dir, "BTCUSDT-1h-2025-03.zip");
    writeFileSync(notZip, "not a zip");
    await expect(importVision([notZip], { store })).rejects.toThrow(/not a readable zip archive/);
  });

  it("imports real Binance Vision CSVs (nautilus_trader ADABTC 1m) zipped", async () => {
    const dir = tempDir();
    const files = ["ADABTC-1m-2021-11-27.csv", "ADABTC-1m-2021-11-28.csv"].map((n) => {
      const csv = readFileSync(path.join(sharedData(), "nautilus_trader", n));
      const z = path.join(dir, n.replace(".csv", ".zip"));
      writeFileSync(z, zipSync({ [n]: new Uint8Array(csv) }));
      return z;
    });
    const store = tempDir();
    const reports = await importVision(files, { store });
    expect(reports.map((r) => [r.info.symbol, r.rowsAdded])).toEqual([
      ["ADA/BTC", 10],
      ["ADA/BTC", 11],
    ]);
  });
});
