/**
 * `tradelab data download`: paginated OHLCV through ccxt into the bar store.
 *
 * Rules:
 * - Only closed bars are stored: a bar opening at `t` is kept when `t + interval <= now`; the
 *   still-open bar is dropped even when the exchange serves it (`now` is injectable, see
 *   `TRADELAB_NOW_MS`).
 * - Incremental: with bars stored, the download continues after the last stored bar (and fetches
 *   only the part before the first stored bar when `since` is earlier).
 * - Bars are merged through the Rust store (validated, atomic). A download that stops on a network
 *   failure (timeout, 5xx, 429 after retries) first stores the closed bars it already fetched, so a
 *   re-run resumes; a malformed or invalid response stops the symbol without writing anything from
 *   the unwritten part of the run.
 * - Sources never mix silently (see sources.ts); `fillGapsFrom` backfills only missing bars and is
 *   recorded as `ccxt:<exchange>:gap-fill`.
 */
import { redact } from "../redact.js";
import type { OHLCV } from "ccxt";
import { TradelabError } from "../errors.js";
import { openStore, type BarArrays, BarStore } from "../store.js";
import type { DatasetInfo, IntervalName } from "../types.js";
import { DownloadError, ExchangeSession, type ClientOptions, type ExchangeId } from "./client.js";
import { ccxtSource, checkSourceMix, gapFillSource, missingRanges } from "./sources.js";
import { intervalMs, isoMs, systemNow } from "./time.js";

export interface DownloadProgress {
  symbol: string;
  interval: string;
  phase: "download" | "gap-fill";
  /** Bars of the requested span covered so far. */
  done: number;
  total: number;
}

export interface DownloadOptions extends ClientOptions {
  exchange: ExchangeId;
  /** ccxt symbols, e.g. `BTC/USDT`. */
  symbols: string[];
  interval: IntervalName;
  /** First bar open time wanted (epoch ms). Needed when nothing is stored yet. */
  since?: number;
  /** Exclusive end (epoch ms): bars opening at or after it are not fetched. */
  until?: number;
  /** Store directory or an open store (default `TRADELAB_STORE` or `./tradelab-data`). */
  store?: string | BarStore;
  /** The clock deciding which bars are closed (default `TRADELAB_NOW_MS` or the system clock). */
  now?: () => number;
  /** Bars per request (default 1000, Binance's maximum). */
  pageSize?: number;
  /** Write to the store every this many fetched bars (default 50 000) and at the end. */
  flushEvery?: number;
  /** Allow adding bars from another venue to a dataset (recorded). Default false. */
  mixSources?: boolean;
  /** After the download, fetch only the missing bars of each dataset from this exchange. */
  fillGapsFrom?: ExchangeId;
  /** Root URL for the gap-fill exchange (default `baseUrl`). */
  fillBaseUrl?: string;
  onProgress?: (p: DownloadProgress) => void;
}

export interface GapFillReport {
  exchange: ExchangeId;
  source: string;
  /** Runs of missing bars found before filling. */
  ranges: number;
  missingBefore: number;
  filled: number;
  stillMissing: number;
}

export interface SymbolDownloadReport {
  symbol: string;
  interval: string;
  /** The venue the bars came from (binanceus after a 451 fallback). */
  exchange: ExchangeId;
  source: string;
  ok: boolean;
  error: string | null;
  /** Requested window [from, to) of bar open times actually fetched; null when up to date. */
  from: number | null;
  to: number | null;
  /** Set when the download continued after stored bars (the first open time fetched). */
  resumedFrom: number | null;
  upToDate: boolean;
  pages: number;
  barsFetched: number;
  barsAdded: number;
  /** Bars the exchange served that were still open at `now` and were dropped. */
  openBarsDropped: number;
  gapFill: GapFillReport | null;
  /** The dataset after the download (rows, gaps, sources); null if nothing is stored. */
  info: DatasetInfo | null;
}

export interface DownloadReport {
  exchange: ExchangeId;
  /** `binanceus` when Binance answered HTTP 451 and Binance.US was used. */
  fellBackTo: ExchangeId | null;
  ok: boolean;
  symbols: SymbolDownloadReport[];
}

/** Growing columns of closed bars waiting to be merged. */
class BarBuffer {
  ts: number[] = [];
  open: number[] = [];
  high: number[] = [];
  low: number[] = [];
  close: number[] = [];
  volume: number[] = [];

  get length(): number {
    return this.ts.length;
  }

  push(r: readonly number[]): void {
    this.ts.push(r[0] as number);
    this.open.push(r[1] as number);
    this.high.push(r[2] as number);
    this.low.push(r[3] as number);
    this.close.push(r[4] as number);
    this.volume.push(r[5] as number);
  }

  take(): BarArrays {
    const a: BarArrays = {
      ts: Float64Array.from(this.ts),
      open: Float64Array.from(this.open),
      high: Float64Array.from(this.high),
      low: Float64Array.from(this.low),
      close: Float64Array.from(this.close),
      volume: Float64Array.from(this.volume),
    };
    this.ts = [];
    this.open = [];
    this.high = [];
    this.low = [];
    this.close = [];
    this.volume = [];
    return a;
  }
}

/** Checks the shape of an OHLCV page: rows of 6 finite numbers, aligned, strictly increasing. */
export function checkPage(raw: unknown, venue: string, symbol: string, tf: number, label: string): number[][] {
  const bad = (why: string) => new DownloadError("malformed", `${venue}: ${label}: invalid OHLCV data: ${why}; nothing from this run's unwritten pages was stored`);
  if (!Array.isArray(raw)) throw bad(`expected a list of candles, got ${typeof raw}`);
  const rows: number[][] = [];
  let prev = -Infinity;
  for (let i = 0; i < raw.length; i++) {
    const r: unknown = raw[i];
    if (!Array.isArray(r) || r.length < 6 || !r.slice(0, 6).every((x) => typeof x === "number" && Number.isFinite(x))) {
      throw bad(`candle ${i} is ${JSON.stringify(r)?.slice(0, 120)}`);
    }
    const row = (r as OHLCV).slice(0, 6) as number[];
    const t = row[0] as number;
    if (!Number.isInteger(t) || t % tf !== 0) throw bad(`candle ${i} opens at ${t}, not on a ${tf} ms boundary (wrong interval or timestamp unit for ${symbol}?)`);
    if (t <= prev) throw bad(`candle ${i} (${isoMs(t)}) is not after the previous one`);
    prev = t;
    rows.push(row);
  }
  return rows;
}

interface Page {
  rows: number[][];
  dropped: number;
  venue: ExchangeId;
  /** Open time the next request starts from. */
  cursor: number;
}

/**
 * Pages of closed bars with open times in [from, to) from `session`, requesting `pageSize` bars at a
 * time from the last bar received. The exchange may serve the still-open bar; it is dropped here.
 */
async function* fetchPages(session: ExchangeSession, symbol: string, interval: IntervalName, from: number, to: number, untilParam: number | undefined, pageSize: number, now: number): AsyncGenerator<Page> {
  const tf = intervalMs(interval);
  let cursor = from;
  while (cursor < to) {
    const label = `fetchOHLCV ${symbol} ${interval} from ${isoMs(cursor)}`;
    const start = cursor;
    const raw = await session.call(label, (ex) => ex.fetchOHLCV(symbol, interval, start, pageSize, untilParam === undefined ? {} : { until: untilParam - 1 }));
    const rows = checkPage(raw, session.id, symbol, tf, label);
    if (rows.length === 0) return;
    const kept: number[][] = [];
    let dropped = 0;
    for (const r of rows) {
      const t = r[0] as number;
      if (t + tf > now) {
        dropped++; // the still-open bar (or a bar from the future): never stored
        continue;
      }
      if (t < cursor || t >= to) continue;
      kept.push(r);
    }
    const last = (rows[rows.length - 1] as number[])[0] as number;
    const next = last + tf;
    yield { rows: kept, dropped, venue: session.id, cursor: next };
    if (next <= cursor) return;
    cursor = next;
  }
}

async function infoOrNull(store: BarStore, symbol: string, interval: string): Promise<DatasetInfo | null> {
  try {
    return await store.info(symbol, interval);
  } catch (e) {
    if (e instanceof TradelabError && e.code === "DATA_NOT_FOUND") return null;
    throw e;
  }
}

/** Downloads bars for each symbol; a failing symbol is reported and the others continue. */
export async function downloadBars(o: DownloadOptions): Promise<DownloadReport> {
  const store = o.store instanceof BarStore ? o.store : openStore(o.store);
  // Binance loads spot markets, and USDⓈ-M perpetuals when a symbol is one (BTC/USDT:USDT).
  const perps = o.symbols.some((s) => s.includes(":"));
  const spot = o.symbols.some((s) => !s.includes(":"));
  const session = new ExchangeSession(o.exchange, { ...o, marketTypes: [...(spot ? ["spot" as const] : []), ...(perps ? ["linear" as const] : [])] });
  const reports: SymbolDownloadReport[] = [];
  for (const symbol of o.symbols) reports.push(await downloadSymbol(store, session, symbol, o));
  return { exchange: o.exchange, fellBackTo: session.fellBackFrom ? session.id : null, ok: reports.every((r) => r.ok), symbols: reports };
}

async function downloadSymbol(store: BarStore, session: ExchangeSession, symbol: string, o: DownloadOptions): Promise<SymbolDownloadReport> {
  const interval = o.interval;
  const tf = intervalMs(interval);
  const now = (o.now ?? systemNow)();
  const pageSize = o.pageSize ?? 1000;
  const flushEvery = o.flushEvery ?? 50_000;
  const what = `${symbol} ${interval} in ${store.dir}`;
  const r: SymbolDownloadReport = {
    symbol, interval, exchange: session.id, source: ccxtSource(session.id), ok: false, error: null,
    from: null, to: null, resumedFrom: null, upToDate: false, pages: 0, barsFetched: 0, barsAdded: 0, openBarsDropped: 0, gapFill: null, info: null,
  };
  const buf = new BarBuffer();
  let source = r.source;
  const flush = async (): Promise<void> => {
    if (buf.length === 0) return;
    const m = await store.merge(buf.take(), { symbol, interval, source, onConflict: "error" });
    r.barsAdded += m.rowsAdded;
    r.info = m.info;
  };

  try {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new TradelabError(`page size must be a positive integer, not ${pageSize}`);
    const existing = await infoOrNull(store, symbol, interval);
    r.info = existing;
    await session.ensureMarket(symbol);
    r.exchange = session.id;
    source = r.source = ccxtSource(session.id);
    checkSourceMix(existing?.sources ?? [], source, what, o.mixSources === true);
    if (!(await session.timeframes()).includes(interval)) throw new TradelabError(`${session.id} does not serve ${interval} bars`);

    // Closed bars open before `stop`: the bar opening at floor(now/tf)*tf is still open.
    const stop = Math.min(o.until ?? Infinity, Math.floor(now / tf) * tf);
    const ceil = (t: number) => Math.ceil(t / tf) * tf;
    const ranges: [number, number][] = [];
    const first = existing?.first ?? null;
    const last = existing?.last ?? null;
    if (first !== null && last !== null) {
      const since = o.since === undefined ? last + tf : ceil(o.since);
      if (since < first) ranges.push([since, Math.min(first, stop)]);
      const resume = Math.max(since, last + tf);
      if (resume < stop) {
        ranges.push([resume, stop]);
        if (resume === last + tf) r.resumedFrom = resume;
      }
    } else {
      if (o.since === undefined) throw new TradelabError(`nothing stored yet for ${what}: pass --since to say where the download starts`);
      if (ceil(o.since) < stop) ranges.push([ceil(o.since), stop]);
    }
    const todo = ranges.filter(([a, b]) => a < b);
    if (todo.length === 0) r.upToDate = true;
    else {
      r.from = (todo[0] as [number, number])[0];
      r.to = (todo[todo.length - 1] as [number, number])[1];
    }
    const total = todo.reduce((s, [a, b]) => s + (b - a) / tf, 0);
    let finished = 0;
    for (const [a, b] of todo) {
      // Ask for bars up to the user's --until only: the exchange may then serve the still-open bar,
      // which fetchPages drops.
      const untilParam = b === stop ? o.until : b;
      for await (const page of fetchPages(session, symbol, interval, a, b, untilParam, pageSize, now)) {
        if (page.venue !== r.exchange) {
          // Binance refused this location mid-download: store what came from Binance, then apply
          // the source rule to Binance.US bars.
          await flush();
          r.exchange = page.venue;
          source = r.source = ccxtSource(page.venue);
          checkSourceMix((await infoOrNull(store, symbol, interval))?.sources ?? [], source, what, o.mixSources === true);
        }
        r.pages++;
        r.openBarsDropped += page.dropped;
        r.barsFetched += page.rows.length;
        for (const row of page.rows) buf.push(row);
        o.onProgress?.({ symbol, interval, phase: "download", done: finished + (Math.min(page.cursor, b) - a) / tf, total });
        if (buf.length >= flushEvery) await flush();
      }
      finished += (b - a) / tf;
      o.onProgress?.({ symbol, interval, phase: "download", done: finished, total });
    }
    await flush();
    if (todo.length > 0 && r.barsFetched === 0 && existing === null) {
      // Nothing at all for a non-empty range into an empty dataset: an interval the venue does not
      // serve for this market (Alpaca answers 3m/2h with empty pages), or a window without trading.
      throw new TradelabError(
        `${session.id} returned no ${symbol} ${interval} bars for ${isoMs(r.from ?? 0)} .. ${isoMs(r.to ?? 0)}: ` +
          `it may not serve ${interval} bars for this market (try 1m, 5m, 15m, 1h, 4h or 1d), or had no trading then; nothing was stored`,
      );
    }
    if (r.info === null) r.info = await infoOrNull(store, symbol, interval);
    if (o.fillGapsFrom) r.gapFill = await fillGaps(store, symbol, interval, o, now, pageSize);
    if (r.gapFill) r.info = await infoOrNull(store, symbol, interval);
    r.ok = true;
  } catch (e) {
    if (e instanceof DownloadError && e.transient && buf.length > 0) {
      // Keep the closed, validated bars fetched before the network gave up: a re-run resumes.
      try {
        await flush();
      } catch {
        /* the original error is the one to report */
      }
    }
    // An exchange's error body may echo the request headers: never pass a key on.
    r.error = redact(e instanceof Error ? e.message : String(e));
    r.info = await infoOrNull(store, symbol, interval).catch(() => r.info);
  }
  return r;
}

async function fillGaps(store: BarStore, symbol: string, interval: IntervalName, o: DownloadOptions, now: number, pageSize: number): Promise<GapFillReport> {
  const tf = intervalMs(interval);
  const exchange = o.fillGapsFrom as ExchangeId;
  const bars = await store.readArrays(symbol, interval);
  const ranges = missingRanges(bars.ts, tf);
  const missingBefore = ranges.reduce((s, g) => s + g.missing, 0);
  const report: GapFillReport = { exchange, source: gapFillSource(exchange), ranges: ranges.length, missingBefore, filled: 0, stillMissing: missingBefore };
  if (ranges.length === 0) return report;
  const { baseUrl: _ignored, ...rest } = o;
  const fillOpts: ClientOptions = { ...rest, regionFallback: false };
  const fillBase = o.fillBaseUrl ?? o.baseUrl;
  if (fillBase !== undefined) fillOpts.baseUrl = fillBase;
  const session = new ExchangeSession(exchange, fillOpts);
  await session.ensureMarket(symbol);
  report.source = gapFillSource(session.id);
  const buf = new BarBuffer();
  let done = 0;
  for (const g of ranges) {
    for await (const page of fetchPages(session, symbol, interval, g.from, g.to, g.to, pageSize, now)) {
      for (const row of page.rows) buf.push(row);
    }
    done += g.missing;
    o.onProgress?.({ symbol, interval, phase: "gap-fill", done, total: missingBefore });
  }
  if (buf.length > 0) {
    const m = await store.merge(buf.take(), { symbol, interval, source: report.source, onConflict: "error" });
    report.filled = m.rowsAdded;
    report.stillMissing = m.info.gaps.missing_bars;
  }
  return report;
}
