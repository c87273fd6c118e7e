/**
 * Symbol rules in one place: compact (`BTCFDUSD`) vs ccxt notation (`BTC/FDUSD`), stable quotes,
 * and crypto vs stock detection, which decides market hours and fee defaults.
 *
 * The `U` rule (seed system, `src/stock_utils.py`): a compact symbol ending in `U` is a crypto pair
 * quoted in the `U` stablecoin only when its base is a stable token or a known crypto base; otherwise
 * it is a stock ticker. So `BTCU` is BTC/U, but `MU`, `LULU` and `BIDU` are stocks. The same guard
 * applies to `USD` (`BTCUSD` is crypto, `AUSD` is not known to be).
 */
import { TradelabError } from "./errors.js";

/** Stable quotes, matched longest suffix first when splitting compact symbols. */
export const STABLE_QUOTES = ["FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "USD", "U"] as const;
export type StableQuote = (typeof STABLE_QUOTES)[number];

/** Quotes that need a known crypto base before a compact symbol is split on them. */
const GUARDED_QUOTES: ReadonlySet<string> = new Set(["U", "USD"]);

/** Non-stable quote assets of crypto crosses (`ETHBTC`, `SOLBNB`). */
const CRYPTO_CROSS_QUOTES = ["BTC", "ETH", "BNB"] as const;

/** Stable tokens (they can also be bases: `FDUSD/USDT`, `U/USDT`). */
export const STABLE_TOKENS: ReadonlySet<string> = new Set([...STABLE_QUOTES, "DAI", "AEUR", "EURI", "PYUSD", "USDE", "USD1"]);

/** Crypto bases known to the rules (the seed system's curated lists plus the shared data's symbols). */
export const KNOWN_CRYPTO_BASES: ReadonlySet<string> = new Set([
  "BTC", "ETH", "SOL", "BNB", "LINK", "ADA", "APT", "AVAX", "DOT", "POL", "MATIC", "ATOM", "LTC", "BCH", "UNI",
  "DOGE", "XRP", "TRX", "XLM", "NEAR", "NEO", "XTZ", "AAVE", "ARB", "OP", "SUI", "SEI", "TON", "SHIB", "PEPE",
  "FIL", "ETC", "ICP", "INJ", "RNDR", "RENDER", "FET", "GRT", "ALGO", "EGLD", "HBAR", "VET", "SAND", "MANA", "AXS",
  "CRV", "MKR", "COMP", "SNX", "YFI", "ZEC", "XMR", "DASH", "EOS", "IOTA", "KAVA", "RUNE", "FTM", "WIF", "BONK",
  "TIA", "JUP", "PYTH", "WLD", "ENA", "STX", "IMX", "LDO", "PAXG", "WBTC", "TAO", "HYPE", "TRUMP", "CAKE", "BAT",
  "ZRX", "ENJ", "CHZ", "GALA", "QNT", "KSM", "ONE", "ZIL", "ICX", "WAVES", "QTUM", "ONT", "IOST", "BTT", "SUSHI",
  "1INCH", "DYDX", "GMX", "ORDI", "STRK", "ZK", "NOT", "JTO", "PENDLE", "ENS", "LRC", "OCEAN", "AGIX", "FLOKI",
]);

export type AssetClass = "crypto" | "stock";

/** When a market trades. Stock hours are the regular US session; holidays are not modelled. */
export interface MarketHours {
  /** `always`: 24/7. `session`: `open`–`close` local time on `weekdays` (1 = Monday … 5 = Friday). */
  kind: "always" | "session";
  timezone: string;
  open: string | null;
  close: string | null;
  weekdays: number[];
}

/** Default fee rates in basis points per side, used when a run does not pass fees explicitly. */
export interface FeeDefaults {
  makerBps: number;
  takerBps: number;
  /** Why these values. */
  rule: string;
}

export interface SymbolInfo {
  input: string;
  assetClass: AssetClass;
  /** ccxt notation for crypto (`BTC/USDT`, `BTC/USDT:USDT`), the upper-cased ticker for stocks. */
  symbol: string;
  /** Upper case without separators or settle suffix: `BTCUSDT`, `AAPL`. */
  compact: string;
  base: string;
  quote: string | null;
  /** Settle currency of a swap (`USDT` in `BTC/USDT:USDT`). */
  settle: string | null;
  /** True when the quote is a stable coin (or USD). */
  stableQuote: boolean;
  marketHours: MarketHours;
}

const CRYPTO_HOURS: MarketHours = { kind: "always", timezone: "UTC", open: null, close: null, weekdays: [0, 1, 2, 3, 4, 5, 6] };
const US_STOCK_HOURS: MarketHours = { kind: "session", timezone: "America/New_York", open: "09:30", close: "16:00", weekdays: [1, 2, 3, 4, 5] };

/** Stock tickers: 1–5 letters, optionally a class suffix (`BRK.B`, `BF-B`). */
const TICKER_RE = /^[A-Z]{1,5}(?:[.-][A-Z])?$/;

/** Upper case, without `/ - _` and spaces; a `:SETTLE` suffix is dropped (`BTC/USDT:USDT` → `BTCUSDT`). */
export function compactSymbol(s: string): string {
  return s.trim().toUpperCase().replace(/:.*$/, "").replace(/[/\-_\s]/g, "");
}

export function isStableQuote(q: string): boolean {
  return (STABLE_QUOTES as readonly string[]).includes(q.toUpperCase());
}

function isKnownCryptoAsset(a: string): boolean {
  return KNOWN_CRYPTO_BASES.has(a) || STABLE_TOKENS.has(a);
}

/**
 * Splits a compact symbol on the longest stable-quote suffix with a non-empty base, applying the
 * crypto guard for `U` and `USD`. Returns null when no stable quote fits (stock tickers, crosses).
 */
export function splitStableQuote(compact: string): { base: string; quote: StableQuote } | null {
  const c = compactSymbol(compact);
  const byLength = [...STABLE_QUOTES].sort((a, b) => b.length - a.length);
  for (const q of byLength) {
    if (!c.endsWith(q) || c.length === q.length) continue;
    const base = c.slice(0, c.length - q.length);
    if (GUARDED_QUOTES.has(q) && !isKnownCryptoAsset(base)) continue;
    return { base, quote: q };
  }
  return null;
}

/**
 * Classifies a symbol. Anything written with `/` is a crypto pair; compact symbols are split on
 * stable quotes (with the `U`/`USD` guard) or on BTC/ETH/BNB for known crypto bases; a lone
 * known crypto asset is crypto; other 1–5 letter tickers are stocks.
 */
export function classifySymbol(input: string): SymbolInfo {
  const raw = input.trim().toUpperCase();
  if (!raw) throw new TradelabError("empty symbol");
  const info = (assetClass: AssetClass, base: string, quote: string | null, settle: string | null): SymbolInfo => ({
    input,
    assetClass,
    symbol: assetClass === "stock" ? raw : `${base}${quote ? `/${quote}` : ""}${settle ? `:${settle}` : ""}`,
    compact: assetClass === "stock" ? raw : `${base}${quote ?? ""}`,
    base,
    quote,
    settle,
    stableQuote: quote !== null && isStableQuote(quote),
    marketHours: assetClass === "crypto" ? CRYPTO_HOURS : US_STOCK_HOURS,
  });

  if (raw.includes("/")) {
    const m = /^([A-Z0-9]+)\/([A-Z0-9]+)(?::([A-Z0-9]+))?$/.exec(raw);
    if (!m?.[1] || !m[2]) throw new TradelabError(`cannot read symbol '${input}': expected BASE/QUOTE or BASE/QUOTE:SETTLE`);
    return info("crypto", m[1], m[2], m[3] ?? null);
  }
  const compact = compactSymbol(raw);
  const stable = splitStableQuote(compact);
  if (stable) return info("crypto", stable.base, stable.quote, null);
  for (const q of CRYPTO_CROSS_QUOTES) {
    const base = compact.slice(0, compact.length - q.length);
    if (compact.endsWith(q) && base && isKnownCryptoAsset(base)) return info("crypto", base, q, null);
  }
  if (isKnownCryptoAsset(compact)) return info("crypto", compact, null, null);
  if (TICKER_RE.test(raw)) return info("stock", raw, null, null);
  throw new TradelabError(
    `cannot tell whether '${input}' is a crypto pair or a stock ticker: write crypto pairs as BASE/QUOTE (e.g. BTC/USDT), stocks as tickers (e.g. AAPL)`,
  );
}

export function isCrypto(symbol: string): boolean {
  return classifySymbol(symbol).assetClass === "crypto";
}

/** ccxt notation for a crypto symbol (`BTCFDUSD` → `BTC/FDUSD`); stock tickers are refused. */
export function toCcxtSymbol(symbol: string): string {
  const i = classifySymbol(symbol);
  if (i.assetClass === "stock") throw new TradelabError(`'${symbol}' is a stock ticker, not a crypto pair (crypto pairs look like BTC/USDT or BTCUSDT)`);
  if (!i.quote) throw new TradelabError(`'${symbol}' is a crypto asset without a quote currency; write a pair such as ${i.base}/USDT`);
  return i.symbol;
}

/** The USD proxy of a stable-quoted pair: `BTCFDUSD` → `BTCUSD`, `BTC/USDT` → `BTCUSD`. Others unchanged. */
export function usdProxy(symbol: string): string {
  const i = classifySymbol(symbol);
  return i.assetClass === "crypto" && i.stableQuote && !i.settle ? `${i.base}USD` : i.compact;
}

/** Market hours of a symbol: 24/7 for crypto, the regular US session for stocks. */
export function marketHours(symbol: string): MarketHours {
  return classifySymbol(symbol).marketHours;
}

/**
 * Fee defaults when none are given: FDUSD and U pairs on Binance trade at 0 maker fee; other crypto
 * 10 bps; stocks 5 bps (the seed system's fallbacks).
 */
export function defaultFees(symbol: string, venue?: string): FeeDefaults {
  const i = classifySymbol(symbol);
  if (i.assetClass === "stock") return { makerBps: 5, takerBps: 5, rule: "equities: 5 bps fallback" };
  const binance = venue === undefined || venue.startsWith("binance");
  if (binance && !i.settle && (i.quote === "FDUSD" || i.quote === "U")) {
    return { makerBps: 0, takerBps: 10, rule: `Binance ${i.quote} pairs: zero maker fee` };
  }
  return { makerBps: 10, takerBps: 10, rule: "crypto: 10 bps fallback" };
}
