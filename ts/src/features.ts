/**
 * Causal features and quantile forecasts keyed by issue time (crates/features).
 *
 * Row t of a feature table is aligned with bar t and uses bars <= t only; NaN marks a window that
 * is warming up or would bridge a data gap. A forecast row t was issued at the close of bar t
 * (`issuedAt = barTs + interval`) and is about bars t+1 .. t+h.
 */
import { tableFromIPC, type Table } from "apache-arrow";
import { resolveStoreDir } from "./config.js";
import { native, TradelabError } from "./errors.js";
import { addon } from "./native.js";

export interface ForecastFeatureSpec {
  /** A forecaster name, e.g. `ewma-vol` (see `forecasterNames()`). */
  model: string;
  horizons?: number[];
  quantiles?: number[];
}

/** Omitted fields take the standard hourly set (returns 1/4/24, MAs 24/72/168, ...). */
export interface FeatureSpec {
  version?: number;
  returnWindows?: number[];
  maWindows?: number[];
  volWindows?: number[];
  rsi?: number;
  atr?: number;
  adx?: number;
  volumeZ?: number;
  emaSpans?: number[];
  calendar?: boolean;
  forecast?: ForecastFeatureSpec | null;
}

/** Names + parameters + version, with a hash over all three; saved with datasets/checkpoints. */
export interface FeatureSchema {
  version: number;
  names: string[];
  spec: Required<Omit<FeatureSpec, "forecast">> & { forecast: Required<ForecastFeatureSpec> | null };
  hash: string;
}

export interface CacheReport {
  path: string;
  horizon: number;
  rows: number;
  reusedRows: number;
  computedRows: number;
  /** Why the file was rebuilt from scratch (null when stored rows were reused). */
  rebuilt: string | null;
}

export interface FeatureBuild {
  /** `ts` (int64 bar open time) then one float64 column per feature. */
  table: Table;
  schema: FeatureSchema;
  symbol: string;
  interval: string;
  rows: number;
  /** Rows where every feature is finite. */
  validRows: number;
  first: number | null;
  last: number | null;
  forecastCache: CacheReport[] | null;
  out: string | null;
}

export interface FeatureOptions {
  store?: string;
  /** Epoch ms or ISO date; rows outside are dropped after computing on all stored bars. */
  from?: number | string;
  to?: number | string;
  /** Also write the table as Parquet (schema in the footer). */
  out?: string;
}

export function toMs(v: number | string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") return v;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) || !v.includes("T") ? v : `${v}Z`);
  if (Number.isNaN(ms)) throw new TradelabError(`${what}: cannot parse date '${v}' (use YYYY-MM-DD or ISO-8601)`);
  return ms;
}

type RawFeatureSummary = Omit<FeatureBuild, "table">;

/** Features for stored bars with their schema and row counts. */
export async function buildFeatureSet(symbol: string, interval: string, spec: FeatureSpec = {}, o: FeatureOptions = {}): Promise<FeatureBuild> {
  const out = await native(() =>
    addon.buildFeaturesTable({
      store: resolveStoreDir(o.store),
      symbol,
      interval,
      specJson: JSON.stringify(spec),
      from: toMs(o.from, "from"),
      to: toMs(o.to, "to"),
      out: o.out,
    }),
  );
  const s = out.summary as RawFeatureSummary;
  return { ...s, table: tableFromIPC(out.tableIpc) };
}

/** `buildFeatures(store, symbol, interval, spec)` → Arrow table (schema JSON in its metadata). */
export async function buildFeatures(store: string | undefined, symbol: string, interval: string, spec: FeatureSpec = {}): Promise<Table> {
  return (await buildFeatureSet(symbol, interval, spec, store === undefined ? {} : { store })).table;
}

/** The feature schema stored in a feature table's metadata. */
export function featureSchemaOf(table: Table): FeatureSchema {
  const raw = table.schema.metadata.get("tradelab.feature_schema");
  if (!raw) throw new TradelabError("table has no tradelab.feature_schema metadata (not built by buildFeatures)");
  return JSON.parse(raw) as FeatureSchema;
}

/** Throws a TradelabError naming every difference unless both schemas describe the same features. */
export function ensureSameSchema(expected: FeatureSchema, got: FeatureSchema): void {
  if (expected.hash === got.hash) return;
  const missing = expected.names.filter((n) => !got.names.includes(n));
  const extra = got.names.filter((n) => !expected.names.includes(n));
  const parts: string[] = [];
  if (expected.version !== got.version) parts.push(`version ${expected.version} vs ${got.version}`);
  if (missing.length) parts.push(`missing: ${missing.join(", ")}`);
  if (extra.length) parts.push(`extra: ${extra.join(", ")}`);
  if (!parts.length) parts.push(`parameters differ (hash ${expected.hash} vs ${got.hash})`);
  throw new TradelabError(`feature schema mismatch: ${parts.join("; ")}`);
}

export interface ForecastOptions {
  store?: string;
  /** `naive`, `naive:<transform>`, `seasonal-naive`, `ewma-vol`; eval also takes `auto`. */
  model: string;
  horizons?: number[];
  quantiles?: number[];
}

export interface ForecastBuildResult {
  symbol: string;
  interval: string;
  model: string;
  bars: number;
  first: number;
  last: number;
  seconds: number;
  files: CacheReport[];
}

/** Builds or refreshes the on-disk forecast cache (stored rows reused, only new bars computed). */
export async function forecastBuild(symbol: string, interval: string, o: ForecastOptions): Promise<ForecastBuildResult> {
  const r = await native(() =>
    addon.forecastBuild({ store: resolveStoreDir(o.store), symbol, interval, model: o.model, horizons: o.horizons ?? [1, 4, 24], quantiles: o.quantiles }),
  );
  return r as ForecastBuildResult;
}

export interface ForecastEvalRow {
  horizon: number;
  rows: number;
  /** mean |close_p50 - realised close| / realised close × 100. */
  maePct: number;
  /** The same for "no change" (close at issue), as a yardstick. */
  naiveMaePct: number;
  /** Fraction of realised closes inside [p_lo, p_hi]; `coverageHigh/Low` for the path extremes. */
  coverage: number;
  coverageHigh: number;
  coverageLow: number;
  loQ: number;
  hiQ: number;
  /** hiQ - loQ: the coverage a calibrated model would have. */
  nominal: number;
  widthPct: number;
}

export interface ForecastEvalResult {
  symbol: string;
  interval: string;
  model: string;
  /** Issue rows evaluated (targets also inside the window). */
  window: { first: number; last: number; rows: number; rule: string };
  /** With model `auto`: the transform chosen on the window right before the evaluated one. */
  transformSelection: {
    transform: string;
    validation: { first: number; last: number; rows: number };
    candidates: { transform: string; maePct: number }[];
  } | null;
  horizons: ForecastEvalRow[];
  cache: CacheReport[];
}

export interface ForecastEvalOptions extends ForecastOptions {
  from?: number | string;
  to?: number | string;
  /** Without from/to: evaluate the last fraction of the bars (default 0.2). */
  evalFraction?: number;
}

/** MAE% of the close median and p_lo..p_hi coverage per horizon on a stated window. */
export async function forecastEval(symbol: string, interval: string, o: ForecastEvalOptions): Promise<ForecastEvalResult> {
  const r = await native(() =>
    addon.forecastEval({
      store: resolveStoreDir(o.store),
      symbol,
      interval,
      model: o.model,
      horizons: o.horizons ?? [1, 4, 24],
      quantiles: o.quantiles,
      from: toMs(o.from, "from"),
      to: toMs(o.to, "to"),
      evalFraction: o.evalFraction,
    }),
  );
  return r as ForecastEvalResult;
}

/** Built-in forecaster names. */
export function forecasterNames(): string[] {
  return addon.forecasterNames();
}
