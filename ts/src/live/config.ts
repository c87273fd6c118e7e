/**
 * The config of a paper (or live) run: `tradelab paper --config examples/paper-*.json`. Parsed
 * once, checked field by field with errors naming the file and field.
 */
import { createHash } from "node:crypto";
import { readConfigFile } from "../cli/ui.js";
import { TradelabError } from "../errors.js";
import { isExchangeId, type ExchangeId } from "../download/client.js";
import { intervalMs, isInterval, parseTime } from "../download/time.js";
import type * as G from "../generated/engine.js";
import type { IntervalName } from "../types.js";
import type { PolicyStrategy } from "./policy-source.js";

/** Risk limits checked before every order; a refusal is journaled with its reason. */
export interface RiskConfig {
  /** Only these symbols may be traded (default: the run's symbol). */
  allowedSymbols?: string[];
  /** Largest position value (quote currency) per instrument after a buy fills. */
  maxPositionNotional?: number;
  /** Largest value of all positions together after a buy fills. */
  maxTotalNotional?: number;
  /** Most orders placed within any rolling hour of bar time. */
  maxOrdersPerHour?: number;
  /** Kill switch: equity below its peak by this fraction (0.2 = 20 %). */
  maxDrawdown?: number;
  /** Kill switch: equity below the day's first equity (UTC, bar time) by this fraction. */
  maxDailyLoss?: number;
  /** After the kill switch: `halt` (cancel everything, place nothing more) or `flatten` (also sell the position). Default halt. */
  onKill?: "halt" | "flatten";
}

export interface PaperConfig {
  /** Journal key; default: derived from the config (same config, same run: a restart resumes it). */
  runId: string;
  exchange: ExchangeId;
  /** Loopback fake exchange or another server laid out like it; unset: the real venue. */
  baseUrl?: string;
  symbol: string;
  interval: IntervalName;
  intervalMs: number;
  /** First bar the strategy sees (its warm-up starts here). */
  from: number;
  /** Stop after the last bar opening before this (default: run until SIGTERM). */
  until?: number;
  /** A rule strategy, or `{"kind": "policy", "checkpoint": DIR}`: a checkpoint decides each bar. */
  strategy: G.Strategy | PolicyStrategy;
  params: Partial<G.SimParams>;
  /** Wait after each bar close before fetching it (ms, default 5000). */
  delayMs: number;
  /**
   * `system` (this machine's clock), `venue` (the exchange's server time) or `replay` (the loop
   * drives the loopback fake exchange's clock bar by bar: historical replays).
   */
  clock: "system" | "venue" | "replay";
  /** Poll period while waiting for a bar close under the venue clock (ms, default 1000). */
  pollMs: number;
  /** SQLite order journal (default `./tradelab-paper.sqlite`). */
  journal: string;
  risk: RiskConfig;
}

const KEYS = ["runId", "exchange", "baseUrl", "symbol", "interval", "from", "until", "strategy", "params", "delayMs", "clock", "pollMs", "journal", "risk"] as const;
const RISK_KEYS = ["allowedSymbols", "maxPositionNotional", "maxTotalNotional", "maxOrdersPerHour", "maxDrawdown", "maxDailyLoss", "onKill"];

function time(file: string, field: string, v: unknown): number {
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string") {
    try {
      return parseTime(v, `${file}: ${field}`);
    } catch (e) {
      throw new TradelabError(e instanceof Error ? e.message : String(e));
    }
  }
  throw new TradelabError(`${file}: ${field}: expected a date string or epoch ms, got ${JSON.stringify(v)}`);
}

function positive(file: string, field: string, v: unknown, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) throw new TradelabError(`${file}: ${field}: expected a number in (0, ${max}], got ${JSON.stringify(v)}`);
  return v;
}

function risk(file: string, v: unknown): RiskConfig {
  if (v === undefined) return {};
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TradelabError(`${file}: risk: expected an object`);
  const r = v as Record<string, unknown>;
  const bad = Object.keys(r).filter((k) => !RISK_KEYS.includes(k));
  if (bad.length) throw new TradelabError(`${file}: risk: unknown key(s) ${bad.join(", ")} (allowed: ${RISK_KEYS.join(", ")})`);
  const out: RiskConfig = {};
  if (r["allowedSymbols"] !== undefined) {
    const a = r["allowedSymbols"];
    if (!Array.isArray(a) || !a.every((s) => typeof s === "string")) throw new TradelabError(`${file}: risk.allowedSymbols: expected a list of symbols`);
    out.allowedSymbols = a as string[];
  }
  for (const k of ["maxPositionNotional", "maxTotalNotional", "maxOrdersPerHour"] as const) {
    const x = positive(file, `risk.${k}`, r[k]);
    if (x !== undefined) out[k] = x;
  }
  for (const k of ["maxDrawdown", "maxDailyLoss"] as const) {
    const x = positive(file, `risk.${k}`, r[k], 1);
    if (x !== undefined) out[k] = x;
  }
  if (r["onKill"] !== undefined) {
    if (r["onKill"] !== "halt" && r["onKill"] !== "flatten") throw new TradelabError(`${file}: risk.onKill: expected "halt" or "flatten"`);
    out.onKill = r["onKill"];
  }
  return out;
}

function policyStrategy(file: string, st: Record<string, unknown>): void {
  const bad = Object.keys(st).filter((k) => !["kind", "checkpoint", "epoch", "store"].includes(k));
  if (bad.length) throw new TradelabError(`${file}: strategy: unknown key(s) ${bad.join(", ")} for a policy (allowed: checkpoint, epoch, store)`);
  if (typeof st["checkpoint"] !== "string" || st["checkpoint"] === "") throw new TradelabError(`${file}: strategy.checkpoint: expected a checkpoint directory`);
  const e = st["epoch"];
  if (e !== undefined && !(typeof e === "number" && Number.isInteger(e) && e >= 1)) throw new TradelabError(`${file}: strategy.epoch: expected an epoch number >= 1`);
  if (st["store"] !== undefined && typeof st["store"] !== "string") throw new TradelabError(`${file}: strategy.store: expected a store directory`);
}

/** Reads and checks a paper config file. */
export function readPaperConfig(file: string): PaperConfig {
  const c = readConfigFile(file, KEYS, ["symbol", "interval", "from", "strategy"]);
  const exchange = c["exchange"] ?? "binance";
  if (typeof exchange !== "string" || !isExchangeId(exchange)) throw new TradelabError(`${file}: exchange: ${JSON.stringify(exchange)} is not binance, binanceus or alpaca`);
  const interval = c["interval"];
  if (typeof interval !== "string" || !isInterval(interval)) throw new TradelabError(`${file}: interval: ${JSON.stringify(interval)} is not a known interval`);
  const symbol = c["symbol"];
  if (typeof symbol !== "string") throw new TradelabError(`${file}: symbol: expected a string such as "BTC/USDT"`);
  const strategy = c["strategy"];
  if (strategy === null || typeof strategy !== "object" || Array.isArray(strategy)) throw new TradelabError(`${file}: strategy: expected a rule strategy, e.g. {"kind":"emaCross","fast":12,"slow":26}, or {"kind":"policy","checkpoint":DIR}`);
  if ((strategy as { kind?: unknown }).kind === "policy") policyStrategy(file, strategy as Record<string, unknown>);
  const params = c["params"] ?? {};
  if (params === null || typeof params !== "object" || Array.isArray(params)) throw new TradelabError(`${file}: params: expected an object of simulator parameters`);
  const clock = c["clock"] ?? "system";
  if (clock !== "system" && clock !== "venue" && clock !== "replay") throw new TradelabError(`${file}: clock: expected "system", "venue" or "replay"`);
  const baseUrl = c["baseUrl"];
  if (baseUrl !== undefined && typeof baseUrl !== "string") throw new TradelabError(`${file}: baseUrl: expected a URL string`);
  const journal = c["journal"] ?? "tradelab-paper.sqlite";
  if (typeof journal !== "string") throw new TradelabError(`${file}: journal: expected a file path`);
  const from = time(file, "from", c["from"]);
  const until = c["until"] === undefined ? undefined : time(file, "until", c["until"]);
  const iv = intervalMs(interval);
  if (from % iv !== 0) throw new TradelabError(`${file}: from: ${new Date(from).toISOString()} is not on a ${interval} bar boundary`);
  if (until !== undefined && until <= from) throw new TradelabError(`${file}: until must be after from`);
  const rest = {
    exchange,
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    symbol,
    interval,
    intervalMs: iv,
    from,
    ...(until !== undefined ? { until } : {}),
    strategy: strategy as G.Strategy | PolicyStrategy,
    params: params as Partial<G.SimParams>,
    delayMs: c["delayMs"] === 0 ? 0 : (positive(file, "delayMs", c["delayMs"]) ?? 5000),
    clock,
    pollMs: positive(file, "pollMs", c["pollMs"]) ?? 1000,
    journal,
    risk: risk(file, c["risk"]),
  } as const;
  const runId = c["runId"];
  if (runId !== undefined && (typeof runId !== "string" || !/^[A-Za-z0-9._:-]{1,64}$/.test(runId))) throw new TradelabError(`${file}: runId: 1-64 characters of A-Z a-z 0-9 . _ : -`);
  // The same trading config is the same run (a restart resumes it, `until` may move on); the
  // journal path, clock and `until` are not part of it.
  const identity = { exchange, symbol, interval, from, strategy, params, risk: rest.risk };
  const derived = `paper-${createHash("sha256").update(JSON.stringify(identity)).digest("hex").slice(0, 12)}`;
  return { runId: typeof runId === "string" ? runId : derived, ...rest };
}

/** The part of a config that must not change when a run resumes (journaled with the run). */
export function runIdentity(c: PaperConfig): Record<string, unknown> {
  return { exchange: c.exchange, symbol: c.symbol, interval: c.interval, from: c.from, strategy: c.strategy, params: c.params, risk: c.risk };
}
