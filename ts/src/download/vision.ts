/**
 * `tradelab data import-vision`: Binance Vision kline archives (data.binance.vision), monthly
 * (`BTCUSDT-1h-2025-01.zip`) or daily (`BTCUSDT-1h-2025-01-15.zip`), zipped or as the CSV inside.
 *
 * The zip is unpacked (fflate) to a temporary CSV that the Rust importer reads: 12 columns, with or
 * without a header (futures files have one from ~2022), timestamps in ms before 2025 and µs after
 * (decided per value), `close_time` checked against the interval. A `<file>.CHECKSUM` next to the
 * archive (as published by Binance) is verified when present.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { unzipSync } from "fflate";
import { TradelabError } from "../errors.js";
import { BarStore, openStore } from "../store.js";
import type { ImportReport, IntervalName, OnConflict } from "../types.js";
import { toCcxtSymbol } from "../symbols.js";
import { checkSourceMix } from "./sources.js";
import { isInterval } from "./time.js";

export interface VisionImportOptions {
  store?: string | BarStore;
  /** Default: from the file name (`BTCUSDT` → `BTC/USDT`). Pass `BTC/USDT:USDT` for futures archives. */
  symbol?: string;
  /** Default: from the file name. */
  interval?: IntervalName;
  onConflict?: OnConflict;
  /** Allow adding Binance bars to a dataset holding bars from another venue. */
  mixSources?: boolean;
  /** Called after each CSV is imported. */
  onFile?: (r: VisionImportReport) => void;
}

export interface VisionImportReport extends ImportReport {
  /** The archive (or CSV) given. */
  archive: string;
  /** The CSV inside the archive. */
  entry: string;
  /** `ok` when a `.CHECKSUM` file was found and matched; `absent` when there was none. */
  checksum: "ok" | "absent";
  source: string;
}

export interface VisionName {
  symbol: string | null;
  interval: IntervalName | null;
  /** `2025-01` (monthly) or `2025-01-15` (daily). */
  period: string | null;
}

/** Reads `BTCUSDT-1h-2025-01.zip` / `BTCUSDT-1h-2025-01-15.csv` style names. */
export function parseVisionName(file: string): VisionName {
  const base = path.basename(file).replace(/\.(zip|csv)$/i, "");
  const m = /^([A-Z0-9]+)-(\w+?)-(\d{4}-\d{2}(?:-\d{2})?)$/.exec(base);
  if (!m?.[1] || !m[2]) return { symbol: null, interval: null, period: null };
  let symbol: string | null;
  try {
    symbol = toCcxtSymbol(m[1]);
  } catch {
    symbol = null;
  }
  return { symbol, interval: isInterval(m[2]) ? m[2] : null, period: m[3] ?? null };
}

function verifyChecksum(file: string, bytes: Uint8Array): "ok" | "absent" {
  const sumFile = `${file}.CHECKSUM`;
  if (!existsSync(sumFile)) return "absent";
  const expected = readFileSync(sumFile, "utf8").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (expected !== actual) {
    throw new TradelabError(`${file}: sha256 is ${actual} but ${path.basename(sumFile)} says ${expected}: the download is corrupt or incomplete; nothing was imported`);
  }
  return "ok";
}

/** Imports Vision archives or CSVs in name order; stops at the first bad file (earlier files stay imported). */
export async function importVision(files: string[], o: VisionImportOptions = {}): Promise<VisionImportReport[]> {
  const store = o.store instanceof BarStore ? o.store : openStore(o.store);
  const out: VisionImportReport[] = [];
  for (const file of [...files].sort((a, b) => path.basename(a).localeCompare(path.basename(b)))) {
    const guess = parseVisionName(file);
    const symbol = o.symbol ?? guess.symbol;
    const interval = o.interval ?? guess.interval;
    if (!symbol) throw new TradelabError(`${file}: cannot tell the symbol from the file name (expected e.g. BTCUSDT-1h-2025-01.zip); pass --symbol`);
    if (!interval) throw new TradelabError(`${file}: cannot tell the interval from the file name; pass --interval`);
    if (!existsSync(file)) throw new TradelabError(`${file}: no such file`);
    const source = `binance-vision:${path.basename(file)}`;
    try {
      const info = await store.info(symbol, interval);
      checkSourceMix(info.sources, source, `${symbol} ${interval} in ${store.dir}`, o.mixSources === true);
    } catch (e) {
      if (!(e instanceof TradelabError && e.code === "DATA_NOT_FOUND")) throw e;
    }

    const bytes = readFileSync(file);
    const checksum = verifyChecksum(file, bytes);
    let entries: [string, Uint8Array][];
    if (/\.zip$/i.test(file)) {
      let unzipped: Record<string, Uint8Array>;
      try {
        unzipped = unzipSync(bytes);
      } catch (e) {
        throw new TradelabError(`${file}: not a readable zip archive (${e instanceof Error ? e.message : String(e)})`);
      }
      entries = Object.entries(unzipped).filter(([name]) => /\.csv$/i.test(name) && !name.endsWith("/"));
      if (entries.length === 0) throw new TradelabError(`${file}: the archive holds no .csv file (entries: ${Object.keys(unzipped).join(", ") || "none"})`);
    } else {
      entries = [[path.basename(file), bytes]];
    }

    const tmp = mkdtempSync(path.join(os.tmpdir(), "tradelab-vision-"));
    try {
      for (const [name, data] of entries) {
        const csv = path.join(tmp, path.basename(name));
        writeFileSync(csv, data);
        let r: ImportReport;
        try {
          r = await store.import(csv, { symbol, interval, source, ...(o.onConflict ? { onConflict: o.onConflict } : {}) });
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          const where = /\.zip$/i.test(file) ? `${file}!${name}` : file;
          throw new TradelabError(msg.split(csv).join(where), { cause: e });
        }
        const rep: VisionImportReport = { ...r, file: /\.zip$/i.test(file) ? `${file}!${name}` : file, archive: file, entry: name, checksum, source };
        out.push(rep);
        o.onFile?.(rep);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return out;
}
