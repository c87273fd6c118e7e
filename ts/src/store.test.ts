import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { addon } from "./native.js";
import { openStore, TradelabError } from "./index.js";
import { sharedData, tempDir } from "./testing/paths.js";

const BTC = () => path.join(sharedData(), "binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");

function hashTree(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}

describe("BarStore", () => {
  it("imports real Feather bars and reads them back as Arrow and typed arrays", async () => {
    const store = openStore(tempDir());
    const r = await store.import(BTC(), { symbol: "BTC/USDT", interval: "1h" });
    expect(r.rowsTotal).toBe(70006);
    expect(r.format).toBe("feather");
    expect(r.info.firstIso).toBe("2018-01-01T00:00:00Z");
    expect(r.info.lastIso).toBe("2025-12-31T23:00:00Z");

    const table = await store.read("BTC/USDT", "1h");
    expect(table.numRows).toBe(70006);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["ts", "open", "high", "low", "close", "volume"]);
    const ts = table.getChild("ts")!.toArray() as BigInt64Array;
    expect(Number(ts[0])).toBe(Date.UTC(2018, 0, 1));

    const a = await store.readArrays("BTC/USDT", "1h");
    expect(a.close).toBeInstanceOf(Float64Array);
    expect(a.close.length).toBe(70006);
    expect(a.ts[a.ts.length - 1]).toBe(Date.UTC(2025, 11, 31, 23));
    const closeCol = table.getChild("close")!.toArray() as Float64Array;
    expect(Array.from(a.close.subarray(0, 100))).toEqual(Array.from(closeCol.subarray(0, 100)));
  });

  it("keeps the event loop free while importing (work runs off-thread)", async () => {
    const store = openStore(tempDir());
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const progress: number[] = [];
    await store.import(BTC(), { symbol: "BTC/USDT", interval: "1h", onProgress: (p) => progress.push(p.done) });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("rejects bad input with a TradelabError naming file, row and field; store unchanged", async () => {
    const dir = tempDir();
    const store = openStore(path.join(dir, "store"));
    const good = path.join(dir, "good.csv");
    const h = 3_600_000;
    const t0 = Date.UTC(2024, 0, 1);
    const rows = (n: number, bad?: number) =>
      "timestamp,open,high,low,close,volume\n" +
      Array.from({ length: n }, (_, i) => `${t0 + i * h},100,${i === bad ? 99 : 102},98,101,5`).join("\n");
    writeFileSync(good, rows(5));
    await store.import(good, { symbol: "T/USDT", interval: "1h" });
    const before = hashTree(store.dir);
    const bad = path.join(dir, "bad.csv");
    writeFileSync(bad, rows(10, 7));
    const err = await store.import(bad, { symbol: "T/USDT", interval: "1h" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TradelabError);
    expect((err as Error).message).toContain("bad.csv: row 8 (line 9): field `high`: high 99 is below max(open 100, close 101)");
    expect(hashTree(store.dir)).toBe(before);
  });

  it("turns a Rust panic into a JS Error and the process keeps running", async () => {
    await expect(addon.debugPanic()).rejects.toThrow(/internal error in debugPanic.*deliberate test panic/);
    const store = openStore(tempDir());
    expect(await store.list()).toEqual([]);
  });

  it("reports a missing dataset clearly", async () => {
    const store = openStore(tempDir());
    await expect(store.info("NOPE/USDT", "1h")).rejects.toThrow(/no bars stored for NOPE\/USDT 1h/);
    await expect(store.info("../x", "1h")).rejects.toThrow(/invalid symbol/);
    await expect(store.info("BTC/USDT", "7m")).rejects.toThrow(/unknown interval '7m'/);
  });

  it("merges typed-array bars, recording their source", async () => {
    const store = openStore(tempDir());
    const h = 3_600_000;
    const t0 = Date.UTC(2024, 0, 1);
    const n = 24;
    const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
    const bars = {
      ts: col((i) => t0 + i * h),
      open: col(() => 10),
      high: col(() => 11),
      low: col(() => 9),
      close: col(() => 10.5),
      volume: col(() => 1),
    };
    const r = await store.merge(bars, { symbol: "M/USDT", interval: "1h", source: "ccxt:test" });
    expect(r.rowsAdded).toBe(24);
    expect(r.info.sources[0]!.source).toBe("ccxt:test");
    const again = await store.merge(bars, { symbol: "M/USDT", interval: "1h", source: "ccxt:test" });
    expect(again.written).toBe(false);
    bars.high[3] = 1; // below open: rejected
    await expect(store.merge(bars, { symbol: "M/USDT", interval: "1h", source: "ccxt:test" })).rejects.toThrow(
      /<ccxt:test>: row 4: field `high`/,
    );
  });
});
