/**
 * The built CLI against the fake exchange, as a user runs it: the acceptance sequence with the
 * standalone server script (scripts/fake-exchange.mjs), then fallback, failures, Vision and funding.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { openStore } from "../src/store.js";
import { runCli } from "../src/testing/cli.js";
import { BTC_1H, H, fakeExchange, iso, klineCsv, ohlcv, referenceBars, writeVisionZip } from "../src/testing/fake-exchange.js";
import { repoRoot, sharedData, tempDir } from "../src/testing/paths.js";

const JAN = iso("2025-01-01T00:00:00Z");
const FEB = iso("2025-02-01T00:00:00Z");
const FAST = { TRADELAB_RETRY_MIN_MS: "1", NO_COLOR: "1" };

let fx: FakeExchange | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  child?.kill("SIGTERM");
  child = undefined;
});

/** Starts `node scripts/fake-exchange.mjs --port 0` and resolves with its URL. */
function startScript(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [path.join(repoRoot, "scripts/fake-exchange.mjs"), ...args]);
    child = c;
    let out = "";
    let err = "";
    c.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    c.stderr.on("data", (d: Buffer) => (err += d.toString()));
    c.on("exit", (code) => reject(new Error(`fake exchange exited with ${code}: ${err}`)));
  });
}

describe("tradelab data download (CLI)", () => {
  it("acceptance: the standalone fake server + download + info shows the 744 shared bars, identical values", async () => {
    const url = await startScript(["--port", "0", "--data", sharedData()]);
    const store = path.join(tempDir(), "d");
    const dl = await runCli(["data", "download", "--exchange", "binance", "--symbols", "BTC/USDT", "--interval", "1h", "--since", "2025-01-01", "--until", "2025-02-01", "--base-url", url, "--store", store], FAST);
    expect(dl.stderr).toBe("");
    expect(dl.code).toBe(0);
    expect(dl.stdout).toMatch(/BTC\/USDT\s*│\s*1h\s*│\s*binance\s*│\s*ok\s*│\s*744\s*│\s*744\s*│\s*0\s*│\s*744/);
    expect(dl.stdout).toContain("gap report BTC/USDT 1h: no gaps");

    const info = await runCli(["data", "info", "--json", "--store", store]);
    expect(info.code).toBe(0);
    const j = JSON.parse(info.stdout) as { symbol: string; rows: number; firstIso: string; lastIso: string; gaps: { count: number }; sources: { source: string }[] }[];
    expect(j).toHaveLength(1);
    expect(j[0]).toMatchObject({ symbol: "BTC/USDT", rows: 744, firstIso: "2025-01-01T00:00:00Z", lastIso: "2025-01-31T23:00:00Z", gaps: { count: 0 } });
    expect(j[0]!.sources.map((s) => s.source)).toEqual(["ccxt:binance"]);
    expect(ohlcv(await openStore(store).readArrays("BTC/USDT", "1h"))).toEqual(ohlcv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB)));
  });

  it("says once on stderr that it fell back to Binance.US, and --json reports it", async () => {
    fx = await fakeExchange({ restricted: true });
    const store = tempDir();
    const r = await runCli(["data", "download", "--symbols", "BTC/USDT,ETHUSDT", "--since", "2025-01-01", "--until", "2025-01-02", "--base-url", fx.url, "--store", store, "--json"], FAST);
    expect(r.code).toBe(0);
    expect(r.stderr.match(/HTTP 451/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/^note: binance answered HTTP 451 \(restricted location\); using Binance\.US/);
    const j = JSON.parse(r.stdout) as { fellBackTo: string; symbols: { symbol: string; source: string; barsAdded: number }[] };
    expect(j.fellBackTo).toBe("binanceus");
    expect(j.symbols.map((s) => [s.symbol, s.source, s.barsAdded])).toEqual([
      ["BTC/USDT", "ccxt:binanceus", 24],
      ["ETH/USDT", "ccxt:binanceus", 24],
    ]);
  });

  it("malformed JSON: clear error, exit 1, nothing written", async () => {
    fx = await fakeExchange();
    fx.fail({ route: "klines", kind: "malformed" });
    const store = tempDir();
    const r = await runCli(["data", "download", "--symbols", "BTC/USDT", "--since", "2025-01-01", "--until", "2025-02-01", "--base-url", fx.url, "--store", store], FAST);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: BTC\/USDT: binance GET http:\/\/127\.0\.0\.1:\d+\/api\/v3\/klines\?\S+: the response is not valid JSON/);
    expect(r.stdout).toContain("FAILED");
    expect(existsSync(path.join(store, "BTC_USDT"))).toBe(false);
  });

  it("retries a 429 (noted on stderr) and a timeout, then completes", async () => {
    fx = await fakeExchange();
    fx.fail({ route: "klines", kind: "429" });
    fx.fail({ route: "klines", kind: "timeout", after: 1 });
    const store = tempDir();
    const r = await runCli(["data", "download", "--symbols", "BTC/USDT", "--since", "2025-01-01", "--until", "2025-02-01", "--base-url", fx.url, "--store", store, "--timeout", "300", "--json"], FAST);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rate limited \(HTTP 429\/418\) \(attempt 1\); retrying/);
    expect(r.stderr).toMatch(/request timed out \(attempt 2\); retrying/);
    expect((JSON.parse(r.stdout) as { symbols: { barsAdded: number }[] }).symbols[0]!.barsAdded).toBe(744);
  });

  it("lists the new commands in help and refuses stock tickers", async () => {
    const help = await runCli(["data", "--help"]);
    for (const c of ["download", "import-vision", "funding", "funding-info", "import-funding"]) expect(help.stdout).toContain(c);
    const dl = await runCli(["data", "download", "--help"]);
    expect(dl.stdout).toContain("--fill-gaps-from");
    expect(dl.stdout).toContain("--mix-sources");
    const bad = await runCli(["data", "download", "--symbols", "MU", "--store", tempDir()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("'MU' is a stock ticker, not a crypto pair");
  });
});

describe("tradelab data import-vision / funding (CLI)", () => {
  it("imports a Vision zip and reports the checksum", async () => {
    const dir = tempDir();
    const z = writeVisionZip(dir, "BTCUSDT-1h-2025-01", klineCsv(await referenceBars(BTC_1H, "BTC/USDT", "1h", JAN, FEB), H, { unit: "us" }));
    const store = tempDir();
    const r = await runCli(["data", "import-vision", z, "--store", store], FAST);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/imported: .*BTCUSDT-1h-2025-01\.zip!BTCUSDT-1h-2025-01\.csv \(binance-klines, checksum ok\) -> BTC\/USDT 1h: 744 read, 744 added/);
    const again = await runCli(["data", "import-vision", z, "--store", store, "--json"], FAST);
    expect((JSON.parse(again.stdout) as { written: boolean; rowsUnchanged: number }[])[0]).toMatchObject({ written: false, rowsUnchanged: 744 });
  });

  it("downloads funding rates and shows them with funding-info; import-funding reads the shared file", async () => {
    fx = await fakeExchange();
    const store = tempDir();
    const r = await runCli(["data", "funding", "--symbols", "BTC/USDT:USDT", "--since", "2025-01-01", "--until", "2025-02-01", "--base-url", fx.url, "--store", store], FAST);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/BTC\/USDT:USDT\s*│\s*ok\s*│\s*93\s*│\s*93\s*│\s*93/);
    const info = await runCli(["data", "funding-info", "--symbol", "BTC/USDT:USDT", "--store", store, "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ rows: 93, medianSpacingMs: 8 * H, sources: [{ source: "ccxt:binance", rowsAdded: 93 }] });

    const other = tempDir();
    const imp = await runCli(["data", "import-funding", path.join(sharedData(), "binance_roshan7869_algotrading/funding/BTC_USDT_USDT-1h-funding_rate.feather"), "--store", other, "--json"]);
    expect(imp.code).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ format: "feather", rowsAdded: 6914, info: { symbol: "BTC/USDT:USDT" } });
  });
});
