/**
 * Funding-rate series in the store: `<store>/<SYMBOL_KEY>/funding/series.parquet` (columns `ts`
 * epoch ms, `rate` fraction per funding interval). Storage and validation are in Rust
 * (crates/data/src/series.rs); these methods run off the event loop.
 */
import path from "node:path";
import { resolveStoreDir } from "../config.js";
import { native } from "../errors.js";
import { addon } from "../native.js";
import type { OnConflict, SourceRecord } from "../types.js";

/** Funding events as typed arrays: `ts` epoch ms, `rate` fraction (0.0001 = 0.01 % per interval). */
export interface FundingArrays {
  ts: Float64Array;
  rate: Float64Array;
}

export interface FundingInfo {
  symbol: string;
  kind: "funding";
  path: string;
  bytes: number;
  rows: number;
  first: number | null;
  last: number | null;
  firstIso: string | null;
  lastIso: string | null;
  /** Median time between events (28 800 000 for 8-hourly funding). */
  medianSpacingMs: number | null;
  /** Events further apart than twice the median spacing. */
  longPauses: number;
  meanRate: number | null;
  sources: SourceRecord[];
}

export interface FundingMergeReport {
  rowsIn: number;
  rowsAdded: number;
  rowsUnchanged: number;
  rowsReplaced: number;
  rowsKept: number;
  rowsTotal: number;
  written: boolean;
  info: FundingInfo;
}

export interface FundingImportReport extends FundingMergeReport {
  file: string;
  format: string;
}

export interface FundingMergeOptions {
  symbol: string;
  /** Where the events came from, e.g. `ccxt:binance`. */
  source: string;
  onConflict?: OnConflict;
}

export class FundingStore {
  readonly dir: string;

  constructor(dir?: string) {
    this.dir = resolveStoreDir(dir);
  }

  /** Merges events (validated: sorted, finite, |rate| < 1; atomic write). */
  async merge(series: FundingArrays, o: FundingMergeOptions): Promise<FundingMergeReport> {
    return (await native(() =>
      addon.mergeFunding({ store: this.dir, symbol: o.symbol, source: o.source, onConflict: o.onConflict }, series.ts, series.rate),
    )) as FundingMergeReport;
  }

  async read(symbol: string): Promise<FundingArrays> {
    return native(() => addon.readFunding({ store: this.dir, symbol }));
  }

  async info(symbol: string): Promise<FundingInfo> {
    return (await native(() => addon.fundingInfo({ store: this.dir, symbol }))) as FundingInfo;
  }

  /** Symbols with a funding series. */
  async list(): Promise<string[]> {
    return (await native(() => addon.listFunding(this.dir))) as string[];
  }

  /** Imports a funding file: freqtrade `*-funding_rate.feather` (rate in `open`), Parquet, or CSV. */
  async import(file: string, o: { symbol: string; source?: string; onConflict?: OnConflict }): Promise<FundingImportReport> {
    return (await native(() =>
      addon.importFunding({ store: this.dir, file: path.resolve(file), symbol: o.symbol, source: o.source, onConflict: o.onConflict }),
    )) as FundingImportReport;
  }

  /** Reads and validates a funding file without storing it. */
  static async readFile(file: string): Promise<FundingArrays> {
    return native(() => addon.readFundingFileArrays(path.resolve(file)));
  }
}

export function openFundingStore(dir?: string): FundingStore {
  return new FundingStore(dir);
}
