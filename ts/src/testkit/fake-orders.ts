/**
 * The fake exchange's Binance spot account: signed order endpoints answered the way Binance does
 * (`POST/DELETE/GET /api/v3/order`, `GET /api/v3/openOrders`, `/api/v3/myTrades`,
 * `/api/v3/account`), with a matching engine that fills resting LIMIT orders against the fake's
 * real bars as its clock advances.
 *
 * Rules (documented simplifications of a real venue):
 * - an order placed at clock T may fill on bars opening at or after T, once they have closed;
 *   a buy fills when the bar's low is below its price (cross: a touch at exactly the price does
 *   not fill, queue position unknown), at min(price, open); a sell when the high is above it, at
 *   max(price, open). Commission is the maker rate in the quote asset on both sides;
 * - `partialFill` (0..1] caps each bar's fill at that fraction of the original quantity, and a
 *   bar never fills more than its volume;
 * - placement checks the PRICE_FILTER tick, LOT_SIZE step/min and NOTIONAL minimum, the free
 *   balance (a buy locks price × qty of quote, a sell qty of base), and refuses a
 *   `newClientOrderId` already used (-2010 "Duplicate order sent.");
 * - the API key header is required; signatures are not verified.
 */

export interface FakeFilters {
  /** Strings as Binance sends them. Defaults: tick 0.01, step 0.00001, min notional 5. */
  tickSize?: string;
  stepSize?: string;
  minQty?: string;
  minNotional?: string;
}

export interface FakeAccountOptions {
  /** Starting balances, e.g. `{ USDT: 10000 }`. */
  balances?: Record<string, number>;
  filters?: FakeFilters;
  /** Maker commission rate (default 0.001). */
  makerFee?: number;
  /** Largest fraction of an order's quantity filled per bar (default 1). */
  partialFill?: number;
}

export interface BarSeries {
  ts: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  volume: ArrayLike<number>;
  intervalMs: number;
}

export interface FakeOrder {
  symbol: string; // compact, e.g. BTCUSDT
  orderId: number;
  clientOrderId: string;
  side: "BUY" | "SELL";
  price: number;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  status: "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED";
  time: number;
  updateTime: number;
}

export interface FakeTrade {
  symbol: string;
  id: number;
  orderId: number;
  price: number;
  qty: number;
  quoteQty: number;
  commission: number;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
}

type Reply = { status: number; body: unknown };
const err = (status: number, code: number, msg: string): Reply => ({ status, body: { code, msg } });

/** Decimal places of a Binance step string ("0.01000000" → 2). */
function decimals(step: string): number {
  const t = step.replace(/0+$/, "");
  const i = t.indexOf(".");
  return i < 0 ? 0 : t.length - i - 1;
}

/** Whether `x` is a whole multiple of `step` (both as Binance decimal strings/numbers). */
function onStep(x: number, step: string): boolean {
  const d = decimals(step);
  const k = Math.round(x * 10 ** d);
  const s = Math.round(Number(step) * 10 ** d);
  return Math.abs(x * 10 ** d - k) < 1e-6 && k % s === 0;
}

const fmt = (x: number) => x.toFixed(8);

export class FakeAccount {
  readonly balances = new Map<string, { free: number; locked: number }>();
  readonly orders: FakeOrder[] = [];
  readonly trades: FakeTrade[] = [];
  readonly filters: Required<FakeFilters>;
  private nextId = 1;
  private nextTrade = 1;
  /** Per order: the last bar open time it was matched against. */
  private matchedTo = new Map<number, number>();

  constructor(
    private readonly o: FakeAccountOptions,
    /** Compact symbol → (base, quote); and its finest bars covering a time. */
    private readonly market: (compact: string) => { base: string; quote: string } | undefined,
    private readonly bars: (compact: string, at: number) => Promise<BarSeries | undefined>,
    private readonly clock: () => number,
  ) {
    for (const [a, v] of Object.entries(o.balances ?? { USDT: 10_000 })) this.balances.set(a, { free: v, locked: 0 });
    this.filters = { tickSize: "0.01", stepSize: "0.00001", minQty: "0.00001", minNotional: "5", ...o.filters };
  }

  private bal(asset: string) {
    let b = this.balances.get(asset);
    if (!b) {
      b = { free: 0, locked: 0 };
      this.balances.set(asset, b);
    }
    return b;
  }

  exchangeFilters(): Record<string, string>[] {
    const f = this.filters;
    return [
      { filterType: "PRICE_FILTER", minPrice: f.tickSize, maxPrice: "1000000.00000000", tickSize: f.tickSize },
      { filterType: "LOT_SIZE", minQty: f.minQty, maxQty: "9000000.00000000", stepSize: f.stepSize },
      { filterType: "NOTIONAL", minNotional: f.minNotional, applyMinToMarket: "true", maxNotional: "9000000.00000000", applyMaxToMarket: "false", avgPriceMins: "5" },
    ];
  }

  private view(x: FakeOrder): Record<string, unknown> {
    return {
      symbol: x.symbol, orderId: x.orderId, orderListId: -1, clientOrderId: x.clientOrderId, price: fmt(x.price), origQty: fmt(x.origQty),
      executedQty: fmt(x.executedQty), cummulativeQuoteQty: fmt(x.cummulativeQuoteQty), status: x.status, timeInForce: "GTC", type: "LIMIT",
      side: x.side, stopPrice: "0.00000000", icebergQty: "0.00000000", time: x.time, updateTime: x.updateTime, isWorking: true,
      workingTime: x.time, origQuoteOrderQty: "0.00000000", selfTradePreventionMode: "EXPIRE_MAKER",
    };
  }

  /** Fills resting orders against bars that closed since they were last matched. */
  async match(): Promise<void> {
    const now = this.clock();
    const fee = this.o.makerFee ?? 0.001;
    const part = this.o.partialFill ?? 1;
    for (const x of this.orders) {
      if (x.status !== "NEW" && x.status !== "PARTIALLY_FILLED") continue;
      const b = await this.bars(x.symbol, x.time);
      const m = this.market(x.symbol);
      if (!b || !m) continue;
      let from = this.matchedTo.get(x.orderId) ?? x.time;
      for (let i = 0; i < b.ts.length; i++) {
        const t = b.ts[i] as number;
        if (t < from) continue;
        if (t + b.intervalMs > now) break;
        from = t + 1;
        const [lo, hi, op, vol] = [b.low[i] as number, b.high[i] as number, b.open[i] as number, b.volume[i] as number];
        const hit = x.side === "BUY" ? lo < x.price : hi > x.price;
        if (!hit) continue;
        const px = x.side === "BUY" ? Math.min(x.price, op) : Math.max(x.price, op);
        const left = x.origQty - x.executedQty;
        const qty = Math.min(left, x.origQty * part, vol);
        if (qty <= 0) continue;
        const quote = qty * px;
        const commission = quote * fee;
        const base = this.bal(m.base);
        const q = this.bal(m.quote);
        if (x.side === "BUY") {
          q.locked -= qty * x.price;
          q.free += qty * x.price - quote - commission;
          base.free += qty;
        } else {
          base.locked -= qty;
          q.free += quote - commission;
        }
        x.executedQty += qty;
        x.cummulativeQuoteQty += quote;
        x.status = x.executedQty >= x.origQty - 1e-12 ? "FILLED" : "PARTIALLY_FILLED";
        x.updateTime = t + b.intervalMs;
        this.trades.push({ symbol: x.symbol, id: this.nextTrade++, orderId: x.orderId, price: px, qty, quoteQty: quote, commission, commissionAsset: m.quote, time: t + b.intervalMs, isBuyer: x.side === "BUY" });
        if (x.status === "FILLED") break;
      }
      this.matchedTo.set(x.orderId, from);
    }
  }

  private find(q: Record<string, string>): FakeOrder | undefined {
    const id = q["orderId"] !== undefined ? Number(q["orderId"]) : undefined;
    const cid = q["origClientOrderId"];
    return this.orders.find((x) => x.symbol === q["symbol"] && (id !== undefined ? x.orderId === id : x.clientOrderId === cid));
  }

  /** Handles a signed `/api/v3/...` request; undefined when `leaf` is not an account endpoint. */
  async handle(method: string, leaf: string, q: Record<string, string>, apiKey: string | undefined): Promise<Reply | undefined> {
    if (!["order", "openOrders", "myTrades", "account"].includes(leaf)) return undefined;
    if (!apiKey) return err(401, -2015, "Invalid API-key, IP, or permissions for action.");
    await this.match();
    const now = this.clock();
    if (leaf === "account") {
      const balances = [...this.balances.entries()].map(([asset, b]) => ({ asset, free: fmt(b.free), locked: fmt(b.locked) }));
      return { status: 200, body: { makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0, canTrade: true, canWithdraw: false, canDeposit: false, updateTime: now, accountType: "SPOT", balances, permissions: ["SPOT"] } };
    }
    if (leaf === "openOrders") {
      return { status: 200, body: this.orders.filter((x) => (x.status === "NEW" || x.status === "PARTIALLY_FILLED") && (!q["symbol"] || x.symbol === q["symbol"])).map((x) => this.view(x)) };
    }
    if (leaf === "myTrades") {
      const since = q["startTime"] !== undefined ? Number(q["startTime"]) : -Infinity;
      const rows = this.trades.filter((t) => t.symbol === q["symbol"] && t.time >= since);
      return {
        status: 200,
        body: rows.map((t) => ({ symbol: t.symbol, id: t.id, orderId: t.orderId, orderListId: -1, price: fmt(t.price), qty: fmt(t.qty), quoteQty: fmt(t.quoteQty), commission: fmt(t.commission), commissionAsset: t.commissionAsset, time: t.time, isBuyer: t.isBuyer, isMaker: true, isBestMatch: true })),
      };
    }
    // leaf === "order"
    if (method === "GET") {
      const x = this.find(q);
      return x ? { status: 200, body: this.view(x) } : err(400, -2013, "Order does not exist.");
    }
    if (method === "DELETE") {
      const x = this.find(q);
      if (!x) return err(400, -2011, "Unknown order sent.");
      if (x.status !== "NEW" && x.status !== "PARTIALLY_FILLED") return err(400, -2011, "Unknown order sent.");
      const m = this.market(x.symbol);
      if (m) {
        const left = x.origQty - x.executedQty;
        if (x.side === "BUY") {
          this.bal(m.quote).locked -= left * x.price;
          this.bal(m.quote).free += left * x.price;
        } else {
          this.bal(m.base).locked -= left;
          this.bal(m.base).free += left;
        }
      }
      x.status = "CANCELED";
      x.updateTime = now;
      return { status: 200, body: this.view(x) };
    }
    if (method !== "POST") return err(405, -1, `method ${method} not allowed`);
    const m = this.market(q["symbol"] ?? "");
    if (!m) return err(400, -1121, "Invalid symbol.");
    if (q["type"] !== "LIMIT") return err(400, -1116, "Invalid orderType. (the fake exchange takes LIMIT orders only)");
    const side = q["side"];
    if (side !== "BUY" && side !== "SELL") return err(400, -1117, "Invalid side.");
    const price = Number(q["price"]);
    const qty = Number(q["quantity"]);
    if (!(price > 0) || !(qty > 0)) return err(400, -1100, "Illegal characters found in a parameter.");
    const f = this.filters;
    if (!onStep(price, f.tickSize)) return err(400, -1013, "Filter failure: PRICE_FILTER");
    if (!onStep(qty, f.stepSize) || qty < Number(f.minQty)) return err(400, -1013, "Filter failure: LOT_SIZE");
    if (price * qty < Number(f.minNotional)) return err(400, -1013, "Filter failure: NOTIONAL");
    const cid = q["newClientOrderId"] ?? `fake-${this.nextId}`;
    if (this.orders.some((x) => x.clientOrderId === cid && x.symbol === q["symbol"])) return err(400, -2010, "Duplicate order sent.");
    const lockAsset = side === "BUY" ? m.quote : m.base;
    const need = side === "BUY" ? price * qty : qty;
    const b = this.bal(lockAsset);
    if (b.free < need - 1e-9) return err(400, -2010, "Account has insufficient balance for requested action.");
    b.free -= need;
    b.locked += need;
    const x: FakeOrder = { symbol: q["symbol"] as string, orderId: this.nextId++, clientOrderId: cid, side, price, origQty: qty, executedQty: 0, cummulativeQuoteQty: 0, status: "NEW", time: now, updateTime: now };
    this.orders.push(x);
    return { status: 200, body: { ...this.view(x), transactTime: now, fills: [] } };
  }
}
