/**
 * A live venue over ccxt (Binance spot; tested against the loopback fake exchange's order
 * endpoints): exchange filters, quantisation (buy price down to the tick, sell price up,
 * quantity down to the step; min-notional refused before sending), placement under the
 * journal's client order id (a "Duplicate order sent." answer adopts the existing order: a retry
 * never doubles), cancel, and reconciliation on restart (open orders adopted or cancelled,
 * trades since a time, balances). `runLive` (live.ts) drives it bar by bar.
 */
import type { Exchange, Order } from "ccxt";
import { DownloadError, type ExchangeSession } from "../download/client.js";
import { TradelabError } from "../errors.js";

export interface MarketRules {
  tickSize: number;
  stepSize: number;
  minQty: number;
  minNotional: number;
}

/** Decimal places of a step (0.01 → 2), for exact rounding on the grid. */
function places(step: number): number {
  const s = step.toString();
  if (s.includes("e-")) return Number(s.split("e-")[1]);
  const i = s.indexOf(".");
  return i < 0 ? 0 : s.length - i - 1;
}

function onGrid(x: number, step: number, mode: "down" | "up"): number {
  const d = places(step);
  const k = x / step;
  // A value already on the grid (up to float noise) stays; otherwise round the safe way.
  const r = Math.abs(k - Math.round(k)) < 1e-9 ? Math.round(k) : mode === "down" ? Math.floor(k) : Math.ceil(k);
  return Number((r * step).toFixed(d));
}

export type Quantised = { ok: true; price: number; qty: number } | { ok: false; reason: string };

/** Buy prices round down and sell prices up to the tick (never a worse price than decided), quantities down to the step. */
export function quantise(side: "buy" | "sell", price: number, qty: number, r: MarketRules): Quantised {
  const p = onGrid(price, r.tickSize, side === "buy" ? "down" : "up");
  const q = onGrid(qty, r.stepSize, "down");
  if (!(p > 0)) return { ok: false, reason: `price ${price} rounds to ${p} at tick ${r.tickSize}` };
  if (q < r.minQty || q <= 0) return { ok: false, reason: `quantity ${qty} rounds to ${q}, below the minimum ${r.minQty} (step ${r.stepSize})` };
  if (p * q < r.minNotional) return { ok: false, reason: `notional ${(p * q).toFixed(4)} is below the venue's minimum ${r.minNotional}` };
  return { ok: true, price: p, qty: q };
}

export interface PlaceResult {
  status: "placed" | "adopted" | "rejected";
  clientOrderId: string;
  orderId?: string;
  price?: number;
  qty?: number;
  reason?: string;
}

export interface Reconciled {
  /** Open orders with a journaled client id: kept. */
  adopted: Order[];
  /** Open orders the journal does not know: cancelled. */
  cancelled: Order[];
  trades: { id: string; clientOrderId: string | undefined; orderId: string; side: string; price: number; amount: number; fee: number; timestamp: number }[];
  balances: Record<string, { free: number; used: number }>;
}

export class CcxtVenue {
  private rulesCache: MarketRules | undefined;
  constructor(
    readonly session: ExchangeSession,
    readonly symbol: string,
  ) {}

  /** PRICE_FILTER, LOT_SIZE and NOTIONAL of the market, from the venue's exchangeInfo. */
  async rules(): Promise<MarketRules> {
    if (this.rulesCache) return this.rulesCache;
    await this.session.ensureMarket(this.symbol);
    const m = await this.session.call("load markets", (ex) => ex.loadMarkets());
    const info = (m[this.symbol]?.info ?? {}) as { filters?: Record<string, string>[] };
    const f = (type: string, key: string): number | undefined => {
      const v = info.filters?.find((x) => x["filterType"] === type)?.[key];
      return v === undefined ? undefined : Number(v);
    };
    const tick = f("PRICE_FILTER", "tickSize");
    const step = f("LOT_SIZE", "stepSize");
    if (!tick || !step) throw new TradelabError(`${this.session.id} ${this.symbol}: exchangeInfo has no PRICE_FILTER tickSize / LOT_SIZE stepSize`);
    this.rulesCache = { tickSize: tick, stepSize: step, minQty: f("LOT_SIZE", "minQty") ?? step, minNotional: f("NOTIONAL", "minNotional") ?? f("MIN_NOTIONAL", "minNotional") ?? 0 };
    return this.rulesCache;
  }

  private async byClientId(ex: Exchange, clientOrderId: string): Promise<Order> {
    return ex.fetchOrder("", this.symbol, { origClientOrderId: clientOrderId });
  }

  /** Places a limit order under `clientOrderId` (quantised first). Never places it twice. */
  async place(clientOrderId: string, side: "buy" | "sell", price: number, qty: number): Promise<PlaceResult> {
    const q = quantise(side, price, qty, await this.rules());
    if (!q.ok) return { status: "rejected", clientOrderId, reason: q.reason };
    try {
      const o = await this.session.call(`createOrder ${clientOrderId}`, (ex) => ex.createOrder(this.symbol, "limit", side, q.qty, q.price, { newClientOrderId: clientOrderId }));
      this.clientIds.set(String(o.id), clientOrderId);
      return { status: "placed", clientOrderId, orderId: o.id, price: q.price, qty: q.qty };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/Duplicate order sent/.test(msg)) {
        // Placed before (a retry after a crash or a lost answer): adopt it.
        const o = await this.session.call(`fetchOrder ${clientOrderId}`, (ex) => this.byClientId(ex, clientOrderId));
        return { status: "adopted", clientOrderId, orderId: o.id, price: o.price, qty: o.amount };
      }
      if (e instanceof DownloadError && e.transient) throw e;
      // ccxt puts the venue's own message after the exchange id ("binance Filter failure: NOTIONAL").
      const m = /"msg":"([^"]+)"/.exec(msg) ?? /\b(?:binance|binanceus) (?!.*\b(?:binance|binanceus) )(.+)$/.exec(msg);
      return { status: "rejected", clientOrderId, reason: m?.[1] ?? msg };
    }
  }

  async cancel(clientOrderId: string): Promise<void> {
    await this.session.call(`cancelOrder ${clientOrderId}`, (ex) => ex.cancelOrder("", this.symbol, { origClientOrderId: clientOrderId }));
  }

  /** Order id → client order id, learned from placements and lookups (saves a request per fill). */
  private readonly clientIds = new Map<string, string | undefined>();

  /** The account's fills on this market since `sinceMs`, each with its order's client id. */
  async fills(sinceMs: number): Promise<Reconciled["trades"]> {
    const raw = await this.session.call("fetchMyTrades", (ex) => ex.fetchMyTrades(this.symbol, sinceMs));
    for (const t of raw) {
      if (t.order && !this.clientIds.has(t.order)) {
        const o = await this.session.call(`fetchOrder ${t.order}`, (ex) => ex.fetchOrder(t.order as string, this.symbol));
        this.clientIds.set(t.order, o.clientOrderId);
      }
    }
    return raw.map((t) => ({ id: String(t.id), clientOrderId: t.order ? this.clientIds.get(t.order) : undefined, orderId: String(t.order), side: String(t.side), price: Number(t.price), amount: Number(t.amount), fee: Number(t.fee?.cost ?? 0), timestamp: Number(t.timestamp) }));
  }

  /**
   * After a restart: open orders the journal knows (`known` client ids) are adopted, the others
   * cancelled; trades since `sinceMs` and balances are returned for the journal to catch up on.
   */
  async reconcile(known: ReadonlySet<string>, sinceMs: number): Promise<Reconciled> {
    const open = await this.session.call("fetchOpenOrders", (ex) => ex.fetchOpenOrders(this.symbol));
    const adopted: Order[] = [];
    const cancelled: Order[] = [];
    for (const o of open) {
      if (o.clientOrderId !== undefined && known.has(o.clientOrderId)) adopted.push(o);
      else {
        await this.session.call(`cancelOrder ${o.id}`, (ex) => ex.cancelOrder(String(o.id), this.symbol));
        cancelled.push(o);
      }
    }
    const trades = await this.fills(sinceMs);
    const bal = await this.session.call("fetchBalance", (ex) => ex.fetchBalance());
    const balances: Record<string, { free: number; used: number }> = {};
    for (const [asset, v] of Object.entries(bal)) {
      if (v && typeof v === "object" && "free" in v && "used" in v) balances[asset] = { free: Number((v as { free: unknown }).free), used: Number((v as { used: unknown }).used) };
    }
    return { adopted, cancelled, trades, balances };
  }
}
