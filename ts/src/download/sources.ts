/**
 * Source rules: every write records its source label, and bars from different venues never mix
 * silently. Labels: `ccxt:<exchange>` for downloads, `ccxt:<exchange>:gap-fill` for an explicit
 * `--fill-gaps-from` backfill, `binance-vision:<file>` for Vision archives, `file:<name>` for imports.
 */
import { TradelabError } from "../errors.js";
import type { SourceRecord } from "../types.js";

export const GAP_FILL_SUFFIX = ":gap-fill";

export function ccxtSource(exchange: string): string {
  return `ccxt:${exchange}`;
}

export function gapFillSource(exchange: string): string {
  return `ccxt:${exchange}${GAP_FILL_SUFFIX}`;
}

export function isGapFill(label: string): boolean {
  return label.endsWith(GAP_FILL_SUFFIX);
}

/**
 * The venue behind a source label: `ccxt:binance` and `binance-vision:…` are both Binance spot;
 * `ccxt:binanceus` is Binance.US (a different market with different prices); a plain `file:` import
 * is its own unknown venue.
 */
export function sourceVenue(label: string): string {
  const l = label.endsWith(GAP_FILL_SUFFIX) ? label.slice(0, -GAP_FILL_SUFFIX.length) : label;
  if (l.startsWith("ccxt:")) return l.slice(5);
  if (l.startsWith("binance-vision:")) return "binance";
  return l;
}

/**
 * Refuses to add `incoming` bars to a dataset holding bars from another venue unless `allowMix`
 * (`--mix-sources`). Gap-fill records were explicit and do not count.
 */
export function checkSourceMix(existing: SourceRecord[], incoming: string, what: string, allowMix: boolean): void {
  const venue = sourceVenue(incoming);
  const others = [...new Set(existing.filter((r) => !isGapFill(r.source) && sourceVenue(r.source) !== venue).map((r) => r.source))];
  if (others.length === 0 || allowMix) return;
  throw new TradelabError(
    `${what} holds bars from ${others.join(", ")}; adding ${incoming} bars would mix sources. ` +
      `Pass --mix-sources to add them anyway (the write is recorded as ${incoming}), ` +
      `use --fill-gaps-from to fill only missing bars, or use another --store.`,
  );
}

/** A run of missing bars: opens `from` (inclusive) to `to` (exclusive). */
export interface MissingRange {
  from: number;
  to: number;
  missing: number;
}

/** Every run of missing bars between the first and last stored bar. */
export function missingRanges(ts: ArrayLike<number>, stepMs: number): MissingRange[] {
  const out: MissingRange[] = [];
  for (let i = 1; i < ts.length; i++) {
    const a = ts[i - 1] as number;
    const b = ts[i] as number;
    if (b - a > stepMs) out.push({ from: a + stepMs, to: b, missing: Math.round((b - a) / stepMs) - 1 });
  }
  return out;
}
