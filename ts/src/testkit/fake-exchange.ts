/**
 * A loopback fake exchange for offline tests and strategy work: a small HTTP server that answers
 * like Binance (`/api/v3/exchangeInfo`, `/api/v3/klines`), Binance.US (the same under `/us`),
 * Binance USDⓈ-M futures (`/fapi/v1/exchangeInfo`, `/fapi/v1/klines`, `/fapi/v1/fundingRate`) and
 * Alpaca (`/v2/assets`, `/v1beta3/crypto/us/bars`), serving real bars from a data directory
 * (freqtrade-style `BTC_USDT-1h.feather`, `BTC_USDT_USDT-1h-futures.feather`,
 * `BTC_USDT_USDT-8h-funding_rate.feather` files, e.g. `../shared/data`).
 *
 * Files are read through tradelab's own Rust importers (a temporary store), so the values served are
 * exactly the values `tradelab data import` would store. Point ccxt (or `tradelab data download
 * --base-url`) at `server.url`.
 *
 * Test controls: a clock (`now`, optionally running at `speed`) that makes the bar containing `now` a partial, still-open bar;
 * `restricted` (Binance global answers HTTP 451); `maxLimit` (server-side page cap); `fail()` to
 * inject 429 / 5xx / timeouts / dropped connections / malformed JSON; `hide()` to remove bars from one venue.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { openStore, type BarArrays } from "../store.js";
import { FundingStore, type FundingArrays } from "../download/funding-store.js";
import { intervalMs, isInterval } from "../download/time.js";
import { FakeAccount, type FakeAccountOptions } from "./fake-orders.js";

export type FakeVenue = "binance" | "binanceus" | "binance-futures" | "alpaca";
export type FakeRoute = "exchangeInfo" | "klines" | "fundingRate" | "assets" | "bars" | "other";
export type FaultKind = "429" | "418" | "500" | "502" | "503" | "451" | "timeout" | "malformed" | "drop";

export interface FaultRule {
  /** Which endpoint fails (`any` for all). */
  route: FakeRoute | "any";
  venue?: FakeVenue;
  kind: FaultKind;
  /** Matching requests to let through before failing (default 0). */
  after?: number;
  /** How many matching requests fail (default 1; `Infinity` for all). */
  times?: number;
}

export interface FakeRequest {
  venue: FakeVenue | null;
  route: FakeRoute;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Bars or funding events returned. */
  rows: number;
  /** Open time of the last bar (or event) returned. */
  lastTs: number | null;
  /** True when the last bar returned was still open (partial) at the server's `now`. */
  servedOpenBar: boolean;
  fault: FaultKind | null;
}

export interface FakeExchangeOptions {
  /** Directory searched (recursively, 4 levels) for freqtrade-style feather files. */
  dataDir: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The server's clock (epoch ms); bars opening after it are not served, the bar containing it is partial. Default: real time. */
  now?: number;
  /** With `now`: the clock runs from `now` at this many times real time (3600: an hour a second). */
  speed?: number;
  /** Largest page the server returns (Binance: 1000; Alpaca: 10000). */
  maxLimit?: number;
  /** Binance global answers every request with HTTP 451, like from a restricted country. */
  restricted?: boolean;
  /**
   * The Binance spot account behind the signed order endpoints (see fake-orders.ts): balances,
   * PRICE_FILTER/LOT_SIZE/NOTIONAL filters (also served in exchangeInfo when given), partial fills.
   */
  account?: FakeAccountOptions;
}

export interface FakeExchange {
  /** `http://127.0.0.1:<port>`: pass as `--base-url`. */
  readonly url: string;
  readonly port: number;
  /** Every request served, in order. */
  readonly requests: FakeRequest[];
  /** Markets with data: spot pairs, perpetuals, funding series. */
  readonly markets: { spot: string[]; perpetual: string[]; funding: string[] };
  /** The spot account: orders, trades, balances (Binance's signed endpoints; a test reads them here). */
  readonly account: FakeAccount;
  fail(rule: FaultRule): void;
  clearFaults(): void;
  setNow(ms: number | undefined): void;
  setRestricted(on: boolean): void;
  /** Removes bars at these open times from one venue (for gap and backfill tests). */
  hide(venue: FakeVenue, symbol: string, ts: number[]): void;
  close(): Promise<void>;
}

interface Dataset {
  symbol: string;
  interval: string;
  file: string;
  size: number;
}

const FEATHER_SPOT = /^([A-Z0-9]+)_([A-Z0-9]+)-(\d+[mhd])\.feather$/;
const FEATHER_PERP = /^([A-Z0-9]+)_([A-Z0-9]+)_([A-Z0-9]+)-(\d+[mhd])-futures\.feather$/;
const FEATHER_FUNDING = /^([A-Z0-9]+)_([A-Z0-9]+)_([A-Z0-9]+)-(\d+[mhd])-funding_rate\.feather$/;

const RESTRICTED_BODY = {
  code: 0,
  msg: "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error.",
};

function scan(dir: string, depth = 4, out: string[] = []): string[] {
  if (depth < 0) return out;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = path.join(dir, e);
    let st;
    try {
      st = statSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) scan(p, depth - 1, out);
    else if (e.endsWith(".feather")) out.push(p);
  }
  return out;
}

/** Exchange-style decimal string that parses back to exactly `x`. */
function num(x: number): string {
  const f = x.toFixed(8);
  return Number(f) === x ? f : String(x);
}

function compactOf(symbol: string): string {
  return symbol.replace(/:.*$/, "").replace("/", "");
}

function alpacaTimeframe(tf: string): number | null {
  const m = /^(\d+)(T|Min|min|H|Hour|D|Day)$/.exec(tf);
  if (!m?.[1] || !m[2]) return null;
  const n = Number(m[1]);
  const unit = m[2].toLowerCase();
  return n * (unit === "t" || unit === "min" ? 60_000 : unit.startsWith("h") ? 3_600_000 : 86_400_000);
}

export async function startFakeExchange(o: FakeExchangeOptions): Promise<FakeExchange> {
  const spot = new Map<string, Dataset>(); // "BTC/USDT@1h"
  const perp = new Map<string, Dataset>(); // "BTC/USDT:USDT@1h"
  const funding = new Map<string, Dataset>(); // "BTC/USDT:USDT"
  const prefer = (m: Map<string, Dataset>, k: string, d: Dataset) => {
    const cur = m.get(k);
    if (!cur || d.size > cur.size) m.set(k, d);
  };
  for (const file of scan(path.resolve(o.dataDir))) {
    const name = path.basename(file);
    const size = statSync(file).size;
    let m: RegExpExecArray | null;
    if ((m = FEATHER_SPOT.exec(name)) && isInterval(m[3] ?? "")) {
      const symbol = `${m[1]}/${m[2]}`;
      prefer(spot, `${symbol}@${m[3]}`, { symbol, interval: m[3] as string, file, size });
    } else if ((m = FEATHER_PERP.exec(name)) && isInterval(m[4] ?? "")) {
      const symbol = `${m[1]}/${m[2]}:${m[3]}`;
      prefer(perp, `${symbol}@${m[4]}`, { symbol, interval: m[4] as string, file, size });
    } else if ((m = FEATHER_FUNDING.exec(name))) {
      const symbol = `${m[1]}/${m[2]}:${m[3]}`;
      prefer(funding, symbol, { symbol, interval: m[4] as string, file, size });
    }
  }

  const tmp = mkdtempSync(path.join(os.tmpdir(), "tradelab-fake-exchange-"));
  const tmpStore = openStore(tmp);
  const barCache = new Map<string, Promise<BarArrays>>();
  const fundingCache = new Map<string, Promise<FundingArrays>>();
  const loadBars = (d: Dataset): Promise<BarArrays> => {
    const key = d.file;
    let p = barCache.get(key);
    if (!p) {
      p = tmpStore.import(d.file, { symbol: d.symbol, interval: d.interval }).then(() => tmpStore.readArrays(d.symbol, d.interval));
      barCache.set(key, p);
    }
    return p;
  };
  const loadFunding = (d: Dataset): Promise<FundingArrays> => {
    let p = fundingCache.get(d.file);
    if (!p) {
      p = FundingStore.readFile(d.file);
      fundingCache.set(d.file, p);
    }
    return p;
  };

  let now: number | undefined = o.now;
  let restricted = o.restricted === true;
  const maxLimit = o.maxLimit;
  let started = Date.now();
  const speed = o.speed ?? 0;
  const clock = () => (now === undefined ? Date.now() : speed > 0 ? now + Math.floor((Date.now() - started) * speed) : now);
  const faults: (FaultRule & { seen: number; fired: number })[] = [];
  const hidden = new Map<string, Set<number>>(); // `${venue}|${symbol}`
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();

  const spotSymbols = () => [...new Set([...spot.values()].map((d) => d.symbol))].sort();
  const perpSymbols = () => [...new Set([...perp.values()].map((d) => d.symbol).concat([...funding.keys()]))].sort();
  const byCompact = (compact: string, list: string[]) => list.find((s) => compactOf(s) === compact);
  const alpacaMap = (): Map<string, string> => {
    const m = new Map<string, string>();
    for (const s of spotSymbols()) {
      const [base, quote] = s.split("/");
      if (quote === "USDT") {
        m.set(`${base}/USD`, s);
        m.set(s, s);
      }
    }
    return m;
  };

  const account = new FakeAccount(
    o.account ?? {},
    (compact) => {
      const sym = byCompact(compact, spotSymbols());
      if (!sym) return undefined;
      const [base, quote] = sym.split("/") as [string, string];
      return { base, quote };
    },
    async (compact, at) => {
      // The finest dataset of the symbol that has bars at `at` (data dirs hold several intervals and spans).
      const sym = byCompact(compact, spotSymbols());
      const sets = [...spot.values()].filter((d) => d.symbol === sym).sort((a, b) => intervalMs(a.interval) - intervalMs(b.interval));
      for (const d of sets) {
        const b = await loadBars(d);
        if (b.ts.length > 0 && (b.ts[b.ts.length - 1] as number) >= at && (b.ts[0] as number) <= at) return { ...b, intervalMs: intervalMs(d.interval) };
      }
      return undefined;
    },
    () => clock(),
  );

  /** Bars of one dataset visible at the server's clock on `venue`, as row indices. */
  const visible = (venue: FakeVenue, symbol: string, b: BarArrays): number[] => {
    const hid = hidden.get(`${venue}|${symbol}`);
    const t = clock();
    const idx: number[] = [];
    for (let i = 0; i < b.ts.length; i++) {
      const ts = b.ts[i] as number;
      if (ts > t) break;
      if (hid?.has(ts)) continue;
      idx.push(i);
    }
    return idx;
  };

  /** Indices selected Binance-style: from startTime (inclusive) up to endTime (inclusive), `limit` of them. */
  const select = (ts: ArrayLike<number>, idx: number[], start: number | undefined, end: number | undefined, limit: number): number[] => {
    if (start !== undefined) {
      const out: number[] = [];
      for (const i of idx) {
        const t = ts[i] as number;
        if (t < start) continue;
        if (end !== undefined && t > end) break;
        out.push(i);
        if (out.length >= limit) break;
      }
      return out;
    }
    const upto = end === undefined ? idx : idx.filter((i) => (ts[i] as number) <= end);
    return upto.slice(Math.max(0, upto.length - limit));
  };

  /** Bar `i`, or a partial (still-open) version of it when it contains the clock. */
  const barAt = (b: BarArrays, i: number, tf: number): { ts: number; o: number; h: number; l: number; c: number; v: number; open: boolean } => {
    const ts = b.ts[i] as number;
    const op = b.open[i] as number;
    const c = b.close[i] as number;
    if (ts + tf > clock()) {
      const pc = (op + c) / 2;
      return { ts, o: op, h: Math.max(op, pc), l: Math.min(op, pc), c: pc, v: (b.volume[i] as number) / 2, open: true };
    }
    return { ts, o: op, h: b.high[i] as number, l: b.low[i] as number, c, v: b.volume[i] as number, open: false };
  };

  const intParam = (q: Record<string, string>, k: string): number | undefined => {
    const v = q[k];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : NaN;
  };

  type Reply = { status: number; body: unknown; rows?: number; lastTs?: number | null; servedOpenBar?: boolean };
  const binanceError = (status: number, code: number, msg: string): Reply => ({ status, body: { code, msg } });

  async function klines(venue: FakeVenue, q: Record<string, string>): Promise<Reply> {
    const futures = venue === "binance-futures";
    const symbol = byCompact(q["symbol"] ?? "", futures ? [...new Set([...perp.values()].map((d) => d.symbol))] : spotSymbols());
    if (!symbol) return binanceError(400, -1121, "Invalid symbol.");
    const interval = q["interval"] ?? "";
    const d = (futures ? perp : spot).get(`${symbol}@${interval}`);
    if (!d) return binanceError(400, -1120, `Invalid interval. (the fake exchange has no ${interval} data for ${q["symbol"]} under ${o.dataDir})`);
    const cap = Math.min(maxLimit ?? (futures ? 1500 : 1000), futures ? 1500 : 1000);
    const limit = intParam(q, "limit") ?? 500;
    if (!Number.isFinite(limit) || limit < 1) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    const start = intParam(q, "startTime");
    const end = intParam(q, "endTime");
    if (Number.isNaN(start) || Number.isNaN(end)) return binanceError(400, -1100, "Illegal characters found in a time parameter.");
    const b = await loadBars(d);
    const tf = intervalMs(interval);
    const rows = select(b.ts, visible(venue, symbol, b), start, end, Math.min(limit, cap)).map((i) => barAt(b, i, tf));
    const body = rows.map((r) => [r.ts, num(r.o), num(r.h), num(r.l), num(r.c), num(r.v), r.ts + tf - 1, num(r.v * r.c), 0, "0", "0", "0"]);
    const last = rows[rows.length - 1];
    return { status: 200, body, rows: rows.length, lastTs: last?.ts ?? null, servedOpenBar: last?.open ?? false };
  }

  function exchangeInfo(venue: FakeVenue): Reply {
    const filters = o.account?.filters ? account.exchangeFilters() : [
      { filterType: "PRICE_FILTER", minPrice: "0.00000001", maxPrice: "1000000.00000000", tickSize: "0.00000001" },
      { filterType: "LOT_SIZE", minQty: "0.00001000", maxQty: "9000000.00000000", stepSize: "0.00001000" },
    ];
    if (venue === "binance-futures") {
      return {
        status: 200,
        body: {
          timezone: "UTC",
          serverTime: clock(),
          rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 2400 }],
          exchangeFilters: [],
          assets: [],
          symbols: perpSymbols().map((s) => {
            const [pair, settle] = s.split(":") as [string, string];
            const [base, quote] = pair.split("/") as [string, string];
            return {
              symbol: `${base}${quote}`, pair: `${base}${quote}`, contractType: "PERPETUAL", deliveryDate: 4133404800000, onboardDate: 1569398400000,
              status: "TRADING", baseAsset: base, quoteAsset: quote, marginAsset: settle, pricePrecision: 2, quantityPrecision: 3,
              baseAssetPrecision: 8, quotePrecision: 8, underlyingType: "COIN", filters, orderTypes: ["LIMIT", "MARKET"], timeInForce: ["GTC"],
            };
          }),
        },
      };
    }
    return {
      status: 200,
      body: {
        timezone: "UTC",
        serverTime: clock(),
        rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 }],
        exchangeFilters: [],
        symbols: spotSymbols().map((s) => {
          const [base, quote] = s.split("/") as [string, string];
          return {
            symbol: `${base}${quote}`, status: "TRADING", baseAsset: base, baseAssetPrecision: 8, quoteAsset: quote, quotePrecision: 8,
            quoteAssetPrecision: 8, orderTypes: ["LIMIT", "LIMIT_MAKER", "MARKET"], icebergAllowed: true, ocoAllowed: true,
            isSpotTradingAllowed: true, isMarginTradingAllowed: false, filters, permissions: [], permissionSets: [["SPOT"]],
          };
        }),
      },
    };
  }

  async function fundingRate(q: Record<string, string>): Promise<Reply> {
    const symbol = byCompact(q["symbol"] ?? "", [...funding.keys()]);
    if (!symbol) return binanceError(400, -1121, "Invalid symbol.");
    const d = funding.get(symbol) as Dataset;
    const limit = intParam(q, "limit") ?? 100;
    if (!Number.isFinite(limit) || limit < 1) return binanceError(400, -1100, "Illegal characters found in parameter 'limit'.");
    const cap = Math.min(maxLimit ?? 1000, 1000);
    const f = await loadFunding(d);
    const hid = hidden.get(`binance-futures|${symbol}`);
    const t = clock();
    const idx: number[] = [];
    for (let i = 0; i < f.ts.length && (f.ts[i] as number) <= t; i++) if (!hid?.has(f.ts[i] as number)) idx.push(i);
    const sel = select(f.ts, idx, intParam(q, "startTime"), intParam(q, "endTime"), Math.min(limit, cap));
    const body = sel.map((i) => ({ symbol: compactOf(symbol), fundingTime: f.ts[i], fundingRate: num(f.rate[i] as number), markPrice: "0" }));
    const lastI = sel[sel.length - 1];
    return { status: 200, body, rows: sel.length, lastTs: lastI === undefined ? null : (f.ts[lastI] as number) };
  }

  function assets(req: http.IncomingMessage): Reply {
    if (!req.headers["apca-api-key-id"] || !req.headers["apca-api-secret-key"]) return { status: 401, body: { code: 40110000, message: "request is not authorized" } };
    const body = [...alpacaMap().keys()].map((s, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, class: "crypto", exchange: "CRYPTO", symbol: s, name: s, status: "active",
      tradable: true, marginable: false, maintenance_margin_requirement: 100, shortable: false, easy_to_borrow: false, fractionable: true,
      attributes: [], min_order_size: "0.0001", min_trade_increment: "0.000000001", price_increment: "0.01",
    }));
    return { status: 200, body };
  }

  async function alpacaBars(q: Record<string, string>): Promise<Reply> {
    const map = alpacaMap();
    const tf = alpacaTimeframe(q["timeframe"] ?? "");
    if (tf === null) return { status: 400, body: { message: `invalid timeframe ${q["timeframe"]}` } };
    const interval = Object.entries({ "1m": 60_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000 }).find(([, ms]) => ms === tf)?.[0];
    const parseIso = (s: string | undefined) => (s ? Date.parse(s) : undefined);
    const token = q["page_token"] ? Number(Buffer.from(q["page_token"], "base64").toString("utf8")) : undefined;
    const start = token ?? parseIso(q["start"]);
    const end = parseIso(q["end"]);
    const limit = Math.min(intParam(q, "limit") ?? 1000, maxLimit ?? 10_000, 10_000);
    const out: Record<string, unknown[]> = {};
    let next: string | null = null;
    let rows = 0;
    let lastTs: number | null = null;
    let servedOpenBar = false;
    for (const sym of (q["symbols"] ?? "").split(",").filter(Boolean)) {
      const src = map.get(sym);
      const d = src && interval ? spot.get(`${src}@${interval}`) : undefined;
      if (!d || !src) {
        out[sym] = [];
        continue;
      }
      const b = await loadBars(d);
      const idx = visible("alpaca", src, b);
      const sel = select(b.ts, idx, start ?? 0, end, limit + 1);
      const page = sel.slice(0, limit).map((i) => barAt(b, i, tf));
      if (sel.length > limit) next = Buffer.from(String(b.ts[sel[limit] as number])).toString("base64");
      out[sym] = page.map((r) => ({ t: new Date(r.ts).toISOString().replace(".000Z", "Z"), o: r.o, h: r.h, l: r.l, c: r.c, v: r.v, n: 0, vw: (r.h + r.l + r.c) / 3 }));
      rows += page.length;
      const last = page[page.length - 1];
      lastTs = last?.ts ?? lastTs;
      servedOpenBar = last?.open ?? servedOpenBar;
    }
    return { status: 200, body: { bars: out, next_page_token: next }, rows, lastTs, servedOpenBar };
  }

  function classify(p: string): { venue: FakeVenue | null; route: FakeRoute; rest: string } {
    let venue: FakeVenue | null = null;
    let rest = p;
    if (p.startsWith("/us/api/v3/")) {
      venue = "binanceus";
      rest = p.slice(3);
    } else if (p.startsWith("/api/v3/")) venue = "binance";
    else if (p.startsWith("/fapi/")) venue = "binance-futures";
    else if (p.startsWith("/v2/") || p.startsWith("/v1beta3/")) venue = "alpaca";
    const leaf = rest.split("/").pop() ?? "";
    const route: FakeRoute =
      leaf === "exchangeInfo" ? "exchangeInfo" : leaf === "klines" ? "klines" : leaf === "fundingRate" ? "fundingRate" : leaf === "assets" ? "assets" : leaf === "bars" ? "bars" : "other";
    return { venue, route, rest };
  }

  /** A form-encoded request body (ccxt sends Binance's signed POST parameters so). */
  async function formBody(req: http.IncomingMessage): Promise<Record<string, string>> {
    if (req.method === "GET") return {};
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    return text ? Object.fromEntries(new URLSearchParams(text).entries()) : {};
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const u = new URL(req.url ?? "/", "http://fake");
    const query = Object.fromEntries(u.searchParams.entries());
    const { venue, route, rest } = classify(u.pathname);
    const entry: FakeRequest = { venue, route, path: u.pathname, query, status: 0, rows: 0, lastTs: null, servedOpenBar: false, fault: null };
    requests.push(entry);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      res.writeHead(status, { "Content-Type": "application/json;charset=UTF-8", ...headers });
      res.end(body);
    };

    // Replay control (the fake exchange only): `tradelab paper` with `"clock": "replay"` moves this
    // clock bar by bar, so a replay runs as fast as the loop and never skips a bar.
    if (u.pathname === "/_fake/now") {
      if (req.method === "POST") {
        const ms = Number(query["ms"]);
        if (!Number.isFinite(ms)) return send(400, JSON.stringify({ msg: "ms must be epoch ms" }));
        now = ms;
        started = Date.now();
      }
      return send(200, JSON.stringify({ now: clock() }));
    }

    let rule: (typeof faults)[number] | undefined;
    for (const f of faults) {
      if ((f.route !== "any" && f.route !== route) || (f.venue !== undefined && f.venue !== venue)) continue;
      const n = f.seen++;
      if (!rule && n >= (f.after ?? 0) && f.fired < (f.times ?? 1)) rule = f;
    }
    if (rule) {
      rule.fired++;
      entry.fault = rule.kind;
      switch (rule.kind) {
        case "timeout":
          entry.status = -1;
          return; // never answer; the client times out
        case "drop":
          entry.status = -2;
          req.socket.destroy(); // the connection drops mid-request
          return;
        case "malformed":
          return send(200, '[[1735689600000,"93576.00000000","94509.4200', {});
        case "429":
        case "418":
          return send(Number(rule.kind), JSON.stringify({ code: -1003, msg: "Too many requests; current limit of IP is 6000 request weight per 1 MINUTE." }), { "Retry-After": "0" });
        case "451":
          return send(451, JSON.stringify(RESTRICTED_BODY));
        default:
          return send(Number(rule.kind), rule.kind === "500" ? JSON.stringify({ code: -1000, msg: "An unknown error occurred while processing the request." }) : "<html><body>Bad Gateway</body></html>", {});
      }
    }
    if (restricted && (venue === "binance" || venue === "binance-futures")) return send(451, JSON.stringify(RESTRICTED_BODY));

    let reply: Reply;
    const signed =
      venue === "binance" || venue === "binanceus"
        ? await account.handle(req.method ?? "GET", rest.split("/").pop() ?? "", { ...query, ...(await formBody(req)) }, req.headers["x-mbx-apikey"] as string | undefined)
        : undefined;
    if (signed) reply = signed;
    else if (venue === "binance" || venue === "binanceus" || venue === "binance-futures") {
      const leaf = rest.split("/").pop();
      if (leaf === "ping") reply = { status: 200, body: {} };
      else if (leaf === "time") reply = { status: 200, body: { serverTime: clock() } };
      else if (route === "exchangeInfo") reply = exchangeInfo(venue);
      else if (route === "klines") reply = await klines(venue, query);
      else if (route === "fundingRate" && venue === "binance-futures") reply = await fundingRate(query);
      else reply = binanceError(404, -1, `the fake exchange does not serve ${u.pathname}`);
    } else if (venue === "alpaca" && route === "assets") reply = assets(req);
    else if (venue === "alpaca" && route === "bars") reply = await alpacaBars(query);
    else reply = { status: 404, body: { code: -1, msg: `the fake exchange does not serve ${u.pathname}` } };
    entry.rows = reply.rows ?? 0;
    entry.lastTs = reply.lastTs ?? null;
    entry.servedOpenBar = reply.servedOpenBar ?? false;
    send(reply.status, JSON.stringify(reply.body));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const msg = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ code: -1000, msg: `fake exchange: ${msg}` }));
      }
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = o.host ?? "127.0.0.1";

  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    requests,
    markets: { spot: spotSymbols(), perpetual: perpSymbols(), funding: [...funding.keys()].sort() },
    account,
    fail(rule) {
      faults.push({ ...rule, seen: 0, fired: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    setNow(ms) {
      now = ms;
      started = Date.now();
    },
    setRestricted(on) {
      restricted = on;
    },
    hide(venue, symbol, ts) {
      const k = `${venue}|${symbol}`;
      const set = hidden.get(k) ?? new Set<number>();
      for (const t of ts) set.add(t);
      hidden.set(k, set);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
