/**
 * `tradelab data funding`: funding-rate history of perpetual swaps through ccxt
 * (`fetchFundingRateHistory`), stored as its own series (see funding-store.ts).
 *
 * Incremental like bar downloads: it continues after the last stored event. Only settled events
 * (time <= now) are stored. A network failure after retries stores the events already fetched; a
 * malformed response writes nothing from the unwritten part of the run.
 */
import { TradelabError } from "../errors.js";
import { DownloadError, ExchangeSession, type ClientOptions } from "./client.js";
import { FundingStore, type FundingArrays, type FundingInfo } from "./funding-store.js";
import { ccxtSource, checkSourceMix } from "./sources.js";
import { isoMs, systemNow } from "./time.js";

/** Venues with funding-rate history: Binance USDⓈ-M perpetuals. */
export const FUNDING_EXCHANGES = ["binance"] as const;
export type FundingExchangeId = (typeof FUNDING_EXCHANGES)[number];

export interface FundingDownloadOptions extends ClientOptions {
  exchange: FundingExchangeId;
  /** Perpetual swaps in ccxt notation, e.g. `BTC/USDT:USDT`. */
  symbols: string[];
  since?: number;
  /** Exclusive end (epoch ms). */
  until?: number;
  store?: string | FundingStore;
  now?: () => number;
  /** Events per request (default 1000, Binance's maximum). */
  pageSize?: number;
  mixSources?: boolean;
  onProgress?: (p: { symbol: string; done: number; total: number }) => void;
}

export interface SymbolFundingReport {
  symbol: string;
  exchange: FundingExchangeId;
  source: string;
  ok: boolean;
  error: string | null;
  from: number | null;
  to: number | null;
  resumedFrom: number | null;
  upToDate: boolean;
  pages: number;
  eventsFetched: number;
  eventsAdded: number;
  info: FundingInfo | null;
}

export interface FundingDownloadReport {
  exchange: FundingExchangeId;
  ok: boolean;
  symbols: SymbolFundingReport[];
}

async function infoOrNull(store: FundingStore, symbol: string): Promise<FundingInfo | null> {
  try {
    return await store.info(symbol);
  } catch (e) {
    if (e instanceof TradelabError && e.code === "DATA_NOT_FOUND") return null;
    throw e;
  }
}

function checkEvents(raw: unknown, symbol: string, label: string): { ts: number; rate: number }[] {
  const bad = (why: string) => new DownloadError("malformed", `binance: ${label}: invalid funding data for ${symbol}: ${why}; nothing from this run's unwritten pages was stored`);
  if (!Array.isArray(raw)) throw bad(`expected a list, got ${typeof raw}`);
  return raw.map((e: unknown, i) => {
    const r = e as { timestamp?: unknown; fundingRate?: unknown } | null;
    const ts = r?.timestamp;
    const rate = r?.fundingRate;
    if (typeof ts !== "number" || !Number.isInteger(ts) || typeof rate !== "number" || !Number.isFinite(rate)) {
      throw bad(`event ${i} has timestamp ${JSON.stringify(ts)} and rate ${JSON.stringify(rate)}`);
    }
    return { ts, rate };
  });
}

export async function downloadFunding(o: FundingDownloadOptions): Promise<FundingDownloadReport> {
  if (!(FUNDING_EXCHANGES as readonly string[]).includes(o.exchange)) throw new TradelabError(`funding rates come from ${FUNDING_EXCHANGES.join(", ")}, not ${o.exchange}`);
  const store = o.store instanceof FundingStore ? o.store : new FundingStore(o.store);
  // Binance.US lists no perpetuals, so a 451 has nothing to fall back to.
  const session = new ExchangeSession(o.exchange, { ...o, marketTypes: ["linear"], regionFallback: false });
  const reports: SymbolFundingReport[] = [];
  for (const symbol of o.symbols) reports.push(await downloadOne(store, session, symbol, o));
  return { exchange: o.exchange, ok: reports.every((r) => r.ok), symbols: reports };
}

async function downloadOne(store: FundingStore, session: ExchangeSession, symbol: string, o: FundingDownloadOptions): Promise<SymbolFundingReport> {
  const now = (o.now ?? systemNow)();
  const pageSize = o.pageSize ?? 1000;
  const source = ccxtSource(o.exchange);
  const r: SymbolFundingReport = {
    symbol, exchange: o.exchange, source, ok: false, error: null, from: null, to: null, resumedFrom: null, upToDate: false, pages: 0, eventsFetched: 0, eventsAdded: 0, info: null,
  };
  let buf: { ts: number[]; rate: number[] } = { ts: [], rate: [] };
  const flush = async () => {
    if (buf.ts.length === 0) return;
    const series: FundingArrays = { ts: Float64Array.from(buf.ts), rate: Float64Array.from(buf.rate) };
    buf = { ts: [], rate: [] };
    const m = await store.merge(series, { symbol, source, onConflict: "error" });
    r.eventsAdded += m.rowsAdded;
    r.info = m.info;
  };
  try {
    if (!symbol.includes(":")) throw new TradelabError(`${symbol} is not a perpetual swap: funding rates need a symbol such as ${symbol}:${symbol.split("/")[1] ?? "USDT"}`);
    const existing = await infoOrNull(store, symbol);
    r.info = existing;
    checkSourceMix(existing?.sources ?? [], source, `the funding series of ${symbol} in ${store.dir}`, o.mixSources === true);
    await session.ensureMarket(symbol);
    let from: number;
    if (existing?.last != null && (o.since === undefined || o.since <= existing.last)) {
      from = existing.last + 1;
      r.resumedFrom = from;
    } else if (o.since !== undefined) from = o.since;
    else throw new TradelabError(`no funding rates stored yet for ${symbol} in ${store.dir}: pass --since to say where the download starts`);
    const stop = Math.min(o.until ?? Infinity, now + 1);
    if (from >= stop) r.upToDate = true;
    else {
      r.from = from;
      r.to = Number.isFinite(stop) ? stop : null;
    }
    let cursor = from;
    while (cursor < stop) {
      const label = `fetchFundingRateHistory ${symbol} from ${isoMs(cursor)}`;
      const start = cursor;
      const raw = await session.call(label, (ex) => ex.fetchFundingRateHistory(symbol, start, pageSize, o.until === undefined ? {} : { until: o.until - 1 }));
      const events = checkEvents(raw, symbol, label);
      if (events.length === 0) break;
      r.pages++;
      for (const e of events) {
        if (e.ts < cursor || e.ts >= stop) continue;
        buf.ts.push(e.ts);
        buf.rate.push(e.rate);
        r.eventsFetched++;
      }
      const last = (events[events.length - 1] as { ts: number }).ts;
      if (Number.isFinite(stop)) o.onProgress?.({ symbol, done: Math.min(last, stop) - from, total: stop - from });
      if (last + 1 <= cursor) break;
      cursor = last + 1;
    }
    await flush();
    if (r.info === null) r.info = await infoOrNull(store, symbol);
    r.ok = true;
  } catch (e) {
    if (e instanceof DownloadError && e.transient) {
      try {
        await flush();
      } catch {
        /* report the original error */
      }
    }
    r.error = e instanceof Error ? e.message : String(e);
    r.info = await infoOrNull(store, symbol).catch(() => r.info);
  }
  return r;
}
