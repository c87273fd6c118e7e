/**
 * ccxt clients for downloads: one factory for Binance, Binance.US and Alpaca, URL overrides for
 * loopback testing, retries with exponential backoff (p-retry) on timeouts, 5xx and 429, and the
 * Binance → Binance.US fallback on HTTP 451 (restricted location).
 *
 * ccxt is imported lazily so the rest of the CLI starts fast.
 */
import type { Exchange } from "ccxt";
import { setTimeout as sleep } from "node:timers/promises";
import pRetry from "p-retry";
import { TradelabError } from "../errors.js";

export const EXCHANGES = ["binance", "binanceus", "alpaca"] as const;
export type ExchangeId = (typeof EXCHANGES)[number];

export function isExchangeId(s: string): s is ExchangeId {
  return (EXCHANGES as readonly string[]).includes(s);
}

/** Why a request failed. `timeout`, `rate-limit`, `server` and `network` are retried. */
export type FailureKind = "timeout" | "rate-limit" | "server" | "network" | "region" | "malformed" | "fatal";

const RETRYABLE: ReadonlySet<FailureKind> = new Set(["timeout", "rate-limit", "server", "network"]);

/** A failed exchange call, after retries. `transient` failures leave fetched data worth keeping. */
export class DownloadError extends TradelabError {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
  get transient(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

export interface RetryOptions {
  /** Retries after the first attempt (default 5). */
  retries?: number;
  /** First backoff in ms (default 500, or `TRADELAB_RETRY_MIN_MS`); doubles each retry, randomised. */
  minTimeoutMs?: number;
  /** Longest backoff and longest honoured Retry-After in ms (default 30 000). */
  maxTimeoutMs?: number;
}

export interface ClientOptions {
  /**
   * Root URL of a server laid out like `scripts/fake-exchange.mjs`: Binance at `/api/v3`, `/fapi/v1`;
   * Binance.US at `/us/api/v3`; Alpaca at `/v2`, `/v1beta3`. Unset: the real exchanges.
   */
  baseUrl?: string;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Human-readable notes (fallbacks, retries); default: none. */
  log?: (message: string) => void;
  /** Retry on Binance.US when Binance answers HTTP 451 (default true). */
  regionFallback?: boolean;
  /** Binance market types to load: `spot` (default) and/or `linear` (USDⓈ-M perpetuals). */
  marketTypes?: ("spot" | "linear")[];
  /** API key and secret for signed (trading) endpoints; never logged (see redact.ts). */
  credentials?: { apiKey: string; secret: string };
}

type Ccxt = typeof import("ccxt").default;
let ccxtModule: Promise<Ccxt> | undefined;

/** The ccxt namespace, imported on first use. */
export function loadCcxt(): Promise<Ccxt> {
  ccxtModule ??= import("ccxt").then((m) => m.default);
  return ccxtModule;
}

/** Where a venue lives under `baseUrl` (see {@link ClientOptions.baseUrl}). */
export function venueUrl(id: ExchangeId, baseUrl: string): string {
  const root = baseUrl.replace(/\/+$/, "");
  return id === "binanceus" ? `${root}/us` : root;
}

function rebase(urls: unknown, root: string): unknown {
  if (typeof urls === "string") return urls.replace(/^https?:\/\/[^/]+/, root);
  if (urls && typeof urls === "object") {
    return Object.fromEntries(Object.entries(urls as Record<string, unknown>).map(([k, v]) => [k, rebase(v, root)]));
  }
  return urls;
}

function retryDefaults(o: RetryOptions | undefined): Required<RetryOptions> {
  const envMin = Number(process.env["TRADELAB_RETRY_MIN_MS"]);
  return {
    retries: o?.retries ?? 5,
    minTimeoutMs: o?.minTimeoutMs ?? (Number.isFinite(envMin) && envMin >= 0 && process.env["TRADELAB_RETRY_MIN_MS"] ? envMin : 500),
    maxTimeoutMs: o?.maxTimeoutMs ?? 30_000,
  };
}

function alpacaCredentials(offline: boolean): { apiKey: string; secret: string } {
  const env = process.env;
  const apiKey = env["APCA_API_KEY_ID"] ?? env["ALPACA_API_KEY"];
  const secret = env["APCA_API_SECRET_KEY"] ?? env["ALPACA_SECRET_KEY"];
  if (apiKey && secret) return { apiKey, secret };
  if (offline) return { apiKey: "offline", secret: "offline" };
  throw new TradelabError("Alpaca needs API keys even for market data: set APCA_API_KEY_ID and APCA_API_SECRET_KEY");
}

/** One ccxt exchange instance with the HTTP status of its last response recorded. */
class ExchangeClient {
  readonly id: ExchangeId;
  readonly ex: Exchange;
  readonly url: string;
  lastStatus = 0;
  retryAfterMs: number | undefined;

  constructor(ccxt: Ccxt, id: ExchangeId, o: ClientOptions) {
    this.id = id;
    const config: Record<string, unknown> = { enableRateLimit: true, timeout: o.timeoutMs ?? 10_000 };
    if (id === "binance" || id === "binanceus") {
      config["options"] = { fetchMarkets: { types: o.marketTypes ?? ["spot"] }, fetchCurrencies: false, fetchMargins: false };
    }
    if (id === "alpaca") Object.assign(config, alpacaCredentials(o.baseUrl !== undefined));
    if (o.credentials) Object.assign(config, o.credentials);
    this.ex = new ccxt[id](config);
    if (o.baseUrl !== undefined) {
      const root = venueUrl(id, o.baseUrl);
      this.ex.urls["api"] = rebase(this.ex.urls["api"], root) as typeof this.ex.urls.api;
      this.url = root;
    } else {
      const api = this.ex.urls["api"] as Record<string, unknown>;
      const first = Object.values(api).find((v): v is string => typeof v === "string") ?? "";
      this.url = first.replace(/^(https?:\/\/[^/]+).*$/, "$1").replace("{hostname}", String(this.ex.hostname ?? ""));
    }
    // Record each response's status (ccxt maps 451, 5xx and 404 alike to ExchangeNotAvailable) and
    // refuse a 2xx body that is not JSON: ccxt would hand the raw text on as if it were data.
    const onRest = this.ex.onRestResponse.bind(this.ex);
    this.ex.onRestResponse = (status: number, statusText: string, url: string, method: string, headers: Record<string, string>, body: string, reqHeaders: unknown, reqBody: unknown): string => {
      this.lastStatus = status;
      const ra = Number(headers?.["Retry-After"]);
      this.retryAfterMs = Number.isFinite(ra) && headers?.["Retry-After"] !== undefined ? ra * 1000 : undefined;
      const text = onRest(status, statusText, url, method, headers, body, reqHeaders, reqBody) as string;
      if (status >= 200 && status < 300 && text.length > 0) {
        try {
          JSON.parse(text);
        } catch {
          throw new DownloadError(
            "malformed",
            `${this.id} ${method} ${url}: the response is not valid JSON (${text.length} bytes, starting ${JSON.stringify(text.slice(0, 60))}); nothing from it was stored`,
          );
        }
      }
      return text;
    };
  }

  classify(e: unknown, ccxt: Ccxt): FailureKind {
    if (e instanceof DownloadError) return e.kind;
    if (e instanceof TradelabError) return "fatal";
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof ccxt.RequestTimeout) return "timeout";
    if (e instanceof ccxt.RateLimitExceeded || e instanceof ccxt.DDoSProtection) return "rate-limit";
    if (this.lastStatus === 451 || / 451 |restricted location/i.test(msg)) return "region";
    if (e instanceof ccxt.ExchangeNotAvailable) return this.lastStatus >= 500 ? "server" : "fatal";
    if (e instanceof ccxt.NetworkError) return "network";
    return "fatal";
  }
}

const KIND_TEXT: Record<FailureKind, string> = {
  timeout: "request timed out",
  "rate-limit": "rate limited (HTTP 429/418)",
  server: "server error (HTTP 5xx)",
  network: "network error",
  region: "restricted location (HTTP 451)",
  malformed: "malformed response",
  fatal: "request failed",
};

/**
 * The exchange a download talks to. `call` runs one request with retries; when Binance answers
 * HTTP 451 it switches to Binance.US once (and says so once through `log`).
 */
export class ExchangeSession {
  readonly requested: ExchangeId;
  private readonly opts: ClientOptions;
  private readonly retry: Required<RetryOptions>;
  private readonly log: (m: string) => void;
  private client: ExchangeClient | undefined;
  private ccxt: Ccxt | undefined;
  /** Set when Binance refused this location and Binance.US is used instead. */
  fellBackFrom: ExchangeId | undefined;

  constructor(exchange: ExchangeId, opts: ClientOptions = {}) {
    this.requested = exchange;
    this.opts = opts;
    this.retry = retryDefaults(opts.retry);
    this.log = opts.log ?? (() => {});
  }

  /** The venue requests go to now (`binanceus` after a fallback). */
  get id(): ExchangeId {
    return this.client?.id ?? this.requested;
  }

  private async current(): Promise<{ c: ExchangeClient; ccxt: Ccxt }> {
    this.ccxt ??= await loadCcxt();
    this.client ??= new ExchangeClient(this.ccxt, this.requested, this.opts);
    return { c: this.client, ccxt: this.ccxt };
  }

  /** Runs `op` against the current venue with retries; falls back to Binance.US on HTTP 451. */
  async call<T>(label: string, op: (ex: Exchange) => Promise<T>): Promise<T> {
    for (;;) {
      const { c, ccxt } = await this.current();
      try {
        return await pRetry(
          () => {
            c.lastStatus = 0;
            c.retryAfterMs = undefined;
            return op(c.ex);
          },
          {
            retries: this.retry.retries,
            minTimeout: this.retry.minTimeoutMs,
            maxTimeout: this.retry.maxTimeoutMs,
            factor: 2,
            randomize: true,
            shouldRetry: ({ error }) => RETRYABLE.has(c.classify(error, ccxt)),
            onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
              const kind = c.classify(error, ccxt);
              if (!RETRYABLE.has(kind) || retriesLeft === 0) return;
              this.log(`${c.id}: ${label}: ${KIND_TEXT[kind]} (attempt ${attemptNumber}); retrying with backoff, ${retriesLeft} left`);
              if (kind === "rate-limit" && c.retryAfterMs !== undefined && c.retryAfterMs > 0) {
                await sleep(Math.min(c.retryAfterMs, this.retry.maxTimeoutMs));
              }
            },
          },
        );
      } catch (e) {
        const kind = c.classify(e, ccxt);
        if (kind === "region" && c.id === "binance" && this.opts.regionFallback !== false && !this.fellBackFrom) {
          this.fellBackFrom = "binance";
          this.client = new ExchangeClient(ccxt, "binanceus", { ...this.opts, marketTypes: ["spot"] });
          this.log(
            `binance answered HTTP 451 (restricted location); using Binance.US (${this.client.url}) instead. ` +
              `Binance.US is a separate market: its bars are recorded as ccxt:binanceus`,
          );
          continue;
        }
        if (e instanceof DownloadError) throw e;
        const msg = e instanceof Error ? e.message : String(e);
        const attempts = RETRYABLE.has(kind) ? ` after ${this.retry.retries + 1} attempts` : "";
        const hint =
          kind === "region"
            ? c.id === "binance"
              ? " (Binance refuses this location; Binance.US has no such market, so there is nothing to fall back to)"
              : " (this venue refuses this location)"
            : "";
        throw new DownloadError(kind, `${c.id}: ${label}: ${KIND_TEXT[kind]}${attempts}${hint}: ${msg}`, { cause: e });
      }
    }
  }

  /** Loads markets (once) and checks that `symbol` is listed. */
  async ensureMarket(symbol: string): Promise<void> {
    const markets = await this.call("load markets", (ex) => ex.loadMarkets());
    if (!(symbol in markets)) {
      const close = Object.keys(markets)
        .filter((m) => m.split(/[/:]/)[0] === symbol.split(/[/:]/)[0])
        .slice(0, 8);
      throw new DownloadError(
        "fatal",
        `${this.id} lists no market ${symbol}` + (close.length ? ` (markets with the same base: ${close.join(", ")})` : ` (${Object.keys(markets).length} markets loaded)`),
      );
    }
  }

  /** Timeframes the current venue supports (ccxt names). */
  async timeframes(): Promise<string[]> {
    const { c } = await this.current();
    return Object.keys(c.ex.timeframes ?? {});
  }
}
