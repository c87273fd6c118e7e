/**
 * The numbers a report draws, computed from a backtest's curve and trades. Pure functions, so
 * they are unit-tested here and the browser only plots.
 */

/** Drawdown at each bar: equity / running peak − 1 (≤ 0). The peak starts at `startEquity`. */
export function drawdown(equity: ArrayLike<number>, startEquity = equity[0] ?? 0): number[] {
  const out = new Array<number>(equity.length);
  let peak = startEquity;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i]!;
    if (e > peak) peak = e;
    out[i] = peak > 0 ? e / peak - 1 : 0;
  }
  return out;
}

/** Buy-and-hold equity: all-in at the first bar's close, `startEquity · close / close[0]`. */
export function buyAndHold(close: ArrayLike<number>, startEquity: number): number[] {
  const c0 = close[0] ?? 0;
  return Array.from(close, (c) => (c0 > 0 ? (startEquity * c) / c0 : startEquity));
}

export interface MonthReturn {
  year: number;
  /** 0 = January. */
  month: number;
  ret: number;
}

/**
 * Return of each calendar month (UTC): equity at the month's last bar over equity at the
 * previous month's last bar (the first month starts from `startEquity`).
 */
export function monthlyReturns(ts: ArrayLike<number>, equity: ArrayLike<number>, startEquity = equity[0] ?? 0): MonthReturn[] {
  const out: MonthReturn[] = [];
  let prev = startEquity;
  for (let i = 0; i < ts.length; i++) {
    const d = new Date(ts[i]!);
    const next = i + 1 < ts.length ? new Date(ts[i + 1]!) : undefined;
    const monthEnds = !next || next.getUTCMonth() !== d.getUTCMonth() || next.getUTCFullYear() !== d.getUTCFullYear();
    if (!monthEnds) continue;
    const e = equity[i]!;
    out.push({ year: d.getUTCFullYear(), month: d.getUTCMonth(), ret: prev > 0 ? e / prev - 1 : 0 });
    prev = e;
  }
  return out;
}

export interface Histogram {
  /** Bin edges, length bins + 1. */
  edges: number[];
  counts: number[];
}

/** Equal-width bins over [min, max]; a single value gets one bin around it. */
export function histogram(values: readonly number[], bins = 30): Histogram {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { edges: [], counts: [] };
  let lo = v.reduce((a, b) => Math.min(a, b));
  let hi = v.reduce((a, b) => Math.max(a, b));
  const single = lo === hi;
  if (single) {
    const w = Math.abs(lo) * 0.01 || 0.001;
    lo -= w;
    hi += w;
  }
  const n = single ? 1 : Math.max(1, Math.min(bins, Math.ceil(Math.sqrt(v.length)) * 2));
  const width = (hi - lo) / n;
  const edges = Array.from({ length: n + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(n).fill(0);
  for (const x of v) counts[Math.min(n - 1, Math.floor((x - lo) / width))]! += 1;
  return { edges, counts };
}
