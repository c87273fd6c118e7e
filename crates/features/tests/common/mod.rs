//! Bars for the causality tests: the bundled sample store, with gaps cut in.
#![allow(dead_code)]
use std::path::Path;
use tradelab_core::{Bars, Interval, Symbol};

pub fn sample_bars(symbol: &str) -> Bars {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/store");
    tradelab_data::Store::open(root)
        .read(&Symbol::parse(symbol).unwrap(), Interval::H1)
        .expect("bundled sample store data/store")
}

/// Removes the bars at `cuts` (ranges of row indices) so the series has real time gaps.
pub fn with_gaps(bars: &Bars, cuts: &[std::ops::Range<usize>]) -> Bars {
    let mut out = Bars::with_capacity(bars.len());
    for i in 0..bars.len() {
        if !cuts.iter().any(|r| r.contains(&i)) {
            out.push_from(bars, i);
        }
    }
    out
}

pub fn prefix(bars: &Bars, t: usize) -> Bars {
    bars.between(None, Some(bars.ts[t] + 1))
}

/// Rows to test: every row near a gap (where warm-ups restart) plus an even spread.
pub fn probe_rows(bars: &Bars, step_ms: i64, spread: usize) -> Vec<usize> {
    let n = bars.len();
    let mut rows: Vec<usize> = (0..n).step_by((n / spread).max(1)).collect();
    for i in 1..n {
        if bars.ts[i] - bars.ts[i - 1] != step_ms {
            for d in [0usize, 1, 2, 13, 14, 15, 27, 28, 167, 168, 169] {
                if i + d < n {
                    rows.push(i + d);
                }
            }
            rows.push(i - 1);
        }
    }
    rows.push(n - 1);
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// Bitwise equality with NaN == NaN.
pub fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Scrambles every bar after `t` (prices scaled, volume changed) while keeping bars valid.
pub fn mutate_after(bars: &Bars, t: usize) -> Bars {
    let mut b = bars.clone();
    for i in t + 1..b.len() {
        let f = 1.0 + 0.3 * ((i as f64) * 0.7).sin();
        b.open[i] *= f;
        b.high[i] *= f * 1.01;
        b.low[i] *= f * 0.99;
        b.close[i] *= f;
        b.volume[i] = b.volume[i] * 3.0 + 7.0;
    }
    b
}
