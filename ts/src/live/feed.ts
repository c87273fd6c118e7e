/**
 * Live bars through ccxt: the closed bars since a time, the open bar never (a bar opening at `t`
 * is closed once `t + interval <= now`). And the loop's clock: this machine's, or the venue's
 * server time (a replay on the fake exchange, whose clock a test advances bar by bar).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { checkPage } from "../download/bars.js";
import { ExchangeSession } from "../download/client.js";
import { TradelabError } from "../errors.js";
import type { IntervalName } from "../types.js";

export interface Bars {
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

export function emptyBars(): Bars {
  return { ts: [], open: [], high: [], low: [], close: [], volume: [] };
}

export class BarFeed {
  constructor(
    readonly session: ExchangeSession,
    readonly symbol: string,
    readonly interval: IntervalName,
    readonly intervalMs: number,
  ) {}

  /** Closed bars opening in [since, until) at `now`, paginated; the still-open bar is dropped. */
  async closedBars(since: number, now: number, until = Infinity): Promise<Bars> {
    const out = emptyBars();
    let cursor = since;
    const end = Math.min(until, now - this.intervalMs + 1);
    while (cursor < end) {
      const start = cursor;
      const label = `fetchOHLCV ${this.symbol} ${this.interval} from ${new Date(start).toISOString()}`;
      const raw = await this.session.call(label, (ex) => ex.fetchOHLCV(this.symbol, this.interval, start, 1000));
      const rows = checkPage(raw, this.session.id, this.symbol, this.intervalMs, label);
      let advanced = false;
      for (const r of rows) {
        const t = r[0] as number;
        if (t < cursor || t >= end || t + this.intervalMs > now) continue;
        out.ts.push(t);
        out.open.push(r[1] as number);
        out.high.push(r[2] as number);
        out.low.push(r[3] as number);
        out.close.push(r[4] as number);
        out.volume.push(r[5] as number);
        cursor = t + this.intervalMs;
        advanced = true;
      }
      if (!advanced) break;
    }
    return out;
  }
}

/** When the loop runs: `now()` and waiting until a time has come. */
export interface Clock {
  now(): Promise<number>;
  /** Resolves once `now() >= t` (or early when `signal` aborts). */
  waitUntil(t: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Promise.resolve(Date.now()),
  async waitUntil(t, signal) {
    const ms = t - Date.now();
    if (ms > 0) await sleep(ms, undefined, signal ? { signal } : {}).catch(() => {});
  },
};

/** The exchange's server time (ccxt `fetchTime`), polled every `pollMs` while waiting. */
export function venueClock(session: ExchangeSession, pollMs: number): Clock {
  const now = () => session.call("fetchTime", (ex) => ex.fetchTime()).then((t) => Number(t));
  return {
    now,
    async waitUntil(t, signal) {
      while (!signal?.aborted && (await now()) < t) await sleep(pollMs, undefined, signal ? { signal } : {}).catch(() => {});
    },
  };
}

/**
 * Replays on the loopback fake exchange: the loop moves the exchange's own clock (its
 * `/_fake/now` control) to each bar close it waits for, so a replay runs as fast as the loop and
 * never skips a bar. Refused for anything but a loopback URL.
 */
export function replayClock(baseUrl: string): Clock {
  const u = new URL(baseUrl);
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname)) throw new TradelabError(`clock "replay" drives the loopback fake exchange only; ${baseUrl} is not a loopback address`);
  const url = `${baseUrl.replace(/\/+$/, "")}/_fake/now`;
  const call = async (method: "GET" | "POST", ms?: number): Promise<number> => {
    const r = await fetch(ms === undefined ? url : `${url}?ms=${ms}`, { method });
    if (!r.ok) throw new TradelabError(`clock "replay": ${method} ${url} answered HTTP ${r.status} (is this the fake exchange?)`);
    return Number(((await r.json()) as { now: number }).now);
  };
  return {
    now: () => call("GET"),
    async waitUntil(t) {
      if ((await call("GET")) < t) await call("POST", t);
    },
  };
}
