/**
 * The bar store as seen from TypeScript. Storage, parsing and validation happen in Rust
 * (crates/data); these methods run off the event loop and return typed results.
 */
import { tableFromIPC, type Table } from "apache-arrow";
import path from "node:path";
import { resolveStoreDir } from "./config.js";
import { native } from "./errors.js";
import { addon, type BarArrays } from "./native.js";
import type { CheckEntry, DatasetInfo, DatasetKey, ImportReport, MergeReport, OnConflict } from "./types.js";

export type { BarArrays };

/** Progress of a long call: `done` of `total` units (bytes for CSV, batches for Feather). */
export interface ProgressEvent {
  done: number;
  total: number;
}

export interface ImportOptions {
  symbol: string;
  interval: string;
  /** Default `error`: differing bars at a stored timestamp abort the import, nothing written. */
  onConflict?: OnConflict;
  /** Source label recorded with the bars; default `file:<name>`. */
  source?: string;
  /** Called about every 100 ms while the import runs. */
  onProgress?: (p: ProgressEvent) => void;
}

export interface MergeOptions {
  symbol: string;
  interval: string;
  /** Where the bars came from, e.g. `ccxt:binance`; recorded in the dataset. */
  source: string;
  onConflict?: OnConflict;
}

export class BarStore {
  /** Absolute path of the store directory. */
  readonly dir: string;

  constructor(dir?: string) {
    this.dir = resolveStoreDir(dir);
  }

  /** Imports a CSV, Feather/Arrow IPC or Parquet file; validated, merged and written atomically. */
  async import(file: string, opts: ImportOptions): Promise<ImportReport> {
    const progress = new addon.ProgressHandle();
    const timer = opts.onProgress
      ? setInterval(() => opts.onProgress?.({ done: progress.done, total: progress.total }), 100)
      : undefined;
    try {
      const report = await native(() =>
        addon.importBars(
          {
            store: this.dir,
            file: path.resolve(file),
            symbol: opts.symbol,
            interval: opts.interval,
            onConflict: opts.onConflict,
            source: opts.source,
          },
          progress,
        ),
      );
      opts.onProgress?.({ done: progress.total, total: progress.total });
      return report as ImportReport;
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /** Parses and validates a bar file without writing anything (multi-file imports check all first). */
  async checkFile(file: string, symbol: string, interval: string): Promise<{ rows: number; first: number | null; last: number | null }> {
    return (await native(() => addon.checkImportFile({ file: path.resolve(file), symbol, interval }))) as { rows: number; first: number | null; last: number | null };
  }

  /** Merges bars held in typed arrays (e.g. fresh from an exchange) into the store. */
  async merge(bars: BarArrays, opts: MergeOptions): Promise<MergeReport> {
    const r = await native(() =>
      addon.mergeBars(
        { store: this.dir, symbol: opts.symbol, interval: opts.interval, onConflict: opts.onConflict, source: opts.source },
        bars,
      ),
    );
    return r as MergeReport;
  }

  /** Rows, first/last bar, gaps and sources of one dataset. */
  async info(symbol: string, interval: string): Promise<DatasetInfo> {
    return (await native(() => addon.datasetInfo({ store: this.dir, symbol, interval }))) as DatasetInfo;
  }

  /** Datasets in the store. */
  async list(): Promise<DatasetKey[]> {
    return (await native(() => addon.listDatasets(this.dir))) as DatasetKey[];
  }

  /** Re-validates every dataset. */
  async check(): Promise<CheckEntry[]> {
    return (await native(() => addon.checkStore(this.dir))) as CheckEntry[];
  }

  /** Reads bars as an Arrow table (columns ts:int64 ms, open, high, low, close, volume, ...). */
  async read(symbol: string, interval: string): Promise<Table> {
    const buf = await native(() => addon.readBarsIpc({ store: this.dir, symbol, interval }));
    return tableFromIPC(buf);
  }

  /** Reads bars as typed arrays handed over from Rust without a copy (`ts` in epoch ms). */
  async readArrays(symbol: string, interval: string): Promise<BarArrays> {
    return native(() => addon.readBarArrays({ store: this.dir, symbol, interval }));
  }
}

/** Opens a bar store (default `TRADELAB_STORE` or `./tradelab-data`). Nothing is created until a write. */
export function openStore(dir?: string): BarStore {
  return new BarStore(dir);
}
