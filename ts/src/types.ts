/** Result types returned by the store. Field names match the Rust structs (camelCase). */

/** A run of missing bars between two stored bars. Times are epoch ms (bar open, UTC). */
export interface GapSpan {
  after: number;
  before: number;
  missing: number;
}

export interface GapReport {
  /** Number of gaps (runs of missing bars). */
  count: number;
  /** Total bars missing. */
  missing_bars: number;
  longest: GapSpan | null;
  /** The first gaps in time order (at most 20). */
  first: GapSpan[];
}

/** One write into a dataset; the list is kept in the Parquet file's metadata. */
export interface SourceRecord {
  source: string;
  rowsAdded: number;
  rowsReplaced: number;
  first: number;
  last: number;
  at: number;
}

export interface DatasetInfo {
  symbol: string;
  interval: string;
  path: string;
  bytes: number;
  rows: number;
  first: number | null;
  last: number | null;
  firstIso: string | null;
  lastIso: string | null;
  hasTrades: boolean;
  hasVwap: boolean;
  gaps: GapReport;
  sources: SourceRecord[];
}

export interface MergeReport {
  rowsIn: number;
  rowsAdded: number;
  rowsUnchanged: number;
  rowsReplaced: number;
  rowsKept: number;
  rowsTotal: number;
  /** False when nothing changed and the stored file was not touched. */
  written: boolean;
  info: DatasetInfo;
}

export interface ImportReport extends MergeReport {
  file: string;
  /** Detected format: feather, parquet, csv, csv-ohlcv, binance-klines. */
  format: string;
}

export interface DatasetKey {
  symbol: string;
  interval: string;
}

export interface CheckEntry extends DatasetKey {
  path: string;
  ok: boolean;
  error: string | null;
  rows: number;
  gaps: GapReport | null;
}

/** What to do when incoming bars differ from stored bars at the same timestamp. */
export type OnConflict = "error" | "replace" | "keep";

export const INTERVALS = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d"] as const;
export type IntervalName = (typeof INTERVALS)[number];
