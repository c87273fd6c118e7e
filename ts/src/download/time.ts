/** Time helpers for downloads: UTC parsing of `--since/--until`, interval lengths, the injectable clock. */
import { TradelabError } from "../errors.js";
import { INTERVALS, type IntervalName } from "../types.js";

const INTERVAL_MS: Record<IntervalName, number> = {
  "1m": 60_000,
  "3m": 180_000,
  "5m": 300_000,
  "15m": 900_000,
  "30m": 1_800_000,
  "1h": 3_600_000,
  "2h": 7_200_000,
  "4h": 14_400_000,
  "6h": 21_600_000,
  "8h": 28_800_000,
  "12h": 43_200_000,
  "1d": 86_400_000,
};

export function isInterval(s: string): s is IntervalName {
  return (INTERVALS as readonly string[]).includes(s);
}

/** Length of one bar in ms. */
export function intervalMs(interval: string): number {
  if (!isInterval(interval)) throw new TradelabError(`unknown interval '${interval}' (expected one of ${INTERVALS.join(", ")})`);
  return INTERVAL_MS[interval];
}

/**
 * Parses `2024-01-01`, `2024-01-01T12:00`, `2024-01-01 12:00:00Z`, any ISO-8601 string with an
 * offset, or epoch milliseconds. Date-times without an offset are UTC (never local time).
 */
export function parseTime(s: string, what = "time"): number {
  const t = s.trim();
  if (/^\d{12,14}$/.test(t)) return Number(t);
  let iso = t.replace(" ", "T");
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += "T00:00:00Z";
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += "Z";
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new TradelabError(`cannot read ${what} '${s}': use a date (2024-01-01), a UTC date-time (2024-01-01T12:00) or epoch ms`);
  return ms;
}

/**
 * "Now" for deciding which bars are closed. `TRADELAB_NOW_MS` (epoch ms or ISO) overrides the system
 * clock so tests and replays can serve a still-open bar deterministically.
 */
export function systemNow(): number {
  const env = process.env["TRADELAB_NOW_MS"];
  return env ? parseTime(env, "TRADELAB_NOW_MS") : Date.now();
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}
