//! Causal indicator columns over SoA bars. Every function returns one value per bar; row t uses
//! bars <= t only, and NaN where a window is incomplete or would bridge a data gap. Recursive
//! indicators (EMA, RSI, ATR, ADX) restart their warm-up at the first bar after a gap.
use crate::window::{covers, rolling_mean_std};

/// Simple return over `k` bars: c[t] / c[t-k] - 1.
pub fn returns(close: &[f64], rs: &[usize], k: usize) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            if covers(rs, t, k) {
                close[t] / close[t - k] - 1.0
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Log return over one bar.
pub fn log_return_1(close: &[f64], rs: &[usize]) -> Vec<f64> {
    (0..close.len())
        .map(|t| {
            if covers(rs, t, 1) {
                (close[t] / close[t - 1]).ln()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// Simple moving average of the last `w` closes.
pub fn sma(close: &[f64], rs: &[usize], w: usize) -> Vec<f64> {
    rolling_mean_std(close, rs, w, false).0
}

/// Rolling sample std (ddof 1) of the 1-bar simple returns over `w` returns (needs w+1 bars).
pub fn volatility(ret1: &[f64], rs: &[usize], w: usize) -> Vec<f64> {
    rolling_mean_std(ret1, rs, w, true).1
}

/// (high - low) / close of the bar itself.
pub fn range_pct(high: &[f64], low: &[f64], close: &[f64]) -> Vec<f64> {
    (0..close.len())
        .map(|t| (high[t] - low[t]) / close[t])
        .collect()
}

/// (v - mean) / std over the last `w` volumes (including the current one); 0 when the window's
/// volume is constant.
pub fn volume_z(volume: &[f64], rs: &[usize], w: usize) -> Vec<f64> {
    let (m, s) = rolling_mean_std(volume, rs, w, true);
    (0..volume.len())
        .map(|t| {
            if m[t].is_nan() {
                f64::NAN
            } else if s[t] <= 1e-12 * m[t].abs().max(1.0) {
                0.0
            } else {
                (volume[t] - m[t]) / s[t]
            }
        })
        .collect()
}

/// EMA (alpha = 2/(span+1), adjust=false) seeded with the run's first close; valid once the run
/// holds `span` bars. Returned as c / EMA - 1.
pub fn ema_delta(close: &[f64], rs: &[usize], span: usize) -> Vec<f64> {
    let alpha = 2.0 / (span as f64 + 1.0);
    let mut e = f64::NAN;
    let mut out = vec![f64::NAN; close.len()];
    for t in 0..close.len() {
        if rs[t] == t {
            e = close[t];
        } else {
            e += alpha * (close[t] - e);
        }
        if t + 1 - rs[t] >= span {
            out[t] = close[t] / e - 1.0;
        }
    }
    out
}

/// Wilder RSI: the first value averages `p` changes, later values smooth with 1/p. 100 when there
/// were no losses, 50 when the price did not move at all.
pub fn rsi(close: &[f64], rs: &[usize], p: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    let (mut g, mut l) = (0.0f64, 0.0f64);
    let pf = p as f64;
    for t in 0..n {
        let k = t - rs[t]; // changes seen in this run so far
        if k == 0 {
            g = 0.0;
            l = 0.0;
            continue;
        }
        let d = close[t] - close[t - 1];
        let (up, dn) = (d.max(0.0), (-d).max(0.0));
        if k <= p {
            g += up;
            l += dn;
            if k == p {
                g /= pf;
                l /= pf;
            }
        } else {
            g = (g * (pf - 1.0) + up) / pf;
            l = (l * (pf - 1.0) + dn) / pf;
        }
        if k >= p {
            out[t] = if l == 0.0 {
                if g == 0.0 {
                    50.0
                } else {
                    100.0
                }
            } else {
                100.0 - 100.0 / (1.0 + g / l)
            };
        }
    }
    out
}

fn true_range(high: &[f64], low: &[f64], close: &[f64], t: usize) -> f64 {
    let pc = close[t - 1];
    (high[t] - low[t])
        .max((high[t] - pc).abs())
        .max((low[t] - pc).abs())
}

/// Wilder ATR over `p` true ranges (each needs the previous close), divided by the close.
pub fn atr_pct(high: &[f64], low: &[f64], close: &[f64], rs: &[usize], p: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    let mut a = 0.0f64;
    let pf = p as f64;
    for t in 0..n {
        let k = t - rs[t];
        if k == 0 {
            a = 0.0;
            continue;
        }
        let tr = true_range(high, low, close, t);
        if k <= p {
            a += tr;
            if k == p {
                a /= pf;
            }
        } else {
            a = (a * (pf - 1.0) + tr) / pf;
        }
        if k >= p {
            out[t] = a / close[t];
        }
    }
    out
}

/// Wilder ADX (0..100): smoothed +DM/-DM/TR over `p` bars give DX; ADX averages the first `p` DX
/// values, then smooths with 1/p. First valid `2p - 1` bars after the run's first bar.
pub fn adx(high: &[f64], low: &[f64], close: &[f64], rs: &[usize], p: usize) -> Vec<f64> {
    let n = close.len();
    let mut out = vec![f64::NAN; n];
    let pf = p as f64;
    let (mut str_, mut sp, mut sm, mut ax) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for t in 0..n {
        let k = t - rs[t];
        if k == 0 {
            str_ = 0.0;
            sp = 0.0;
            sm = 0.0;
            ax = 0.0;
            continue;
        }
        let up = high[t] - high[t - 1];
        let dn = low[t - 1] - low[t];
        let pdm = if up > dn && up > 0.0 { up } else { 0.0 };
        let mdm = if dn > up && dn > 0.0 { dn } else { 0.0 };
        let tr = true_range(high, low, close, t);
        if k <= p {
            str_ += tr;
            sp += pdm;
            sm += mdm;
        } else {
            str_ = str_ - str_ / pf + tr;
            sp = sp - sp / pf + pdm;
            sm = sm - sm / pf + mdm;
        }
        if k < p {
            continue;
        }
        let (pdi, mdi) = if str_ > 0.0 {
            (100.0 * sp / str_, 100.0 * sm / str_)
        } else {
            (0.0, 0.0)
        };
        let dx = if pdi + mdi > 0.0 {
            100.0 * (pdi - mdi).abs() / (pdi + mdi)
        } else {
            0.0
        };
        let j = k - p + 1; // DX values seen
        if j <= p {
            ax += dx;
            if j == p {
                ax /= pf;
                out[t] = ax;
            }
        } else {
            ax = (ax * (pf - 1.0) + dx) / pf;
            out[t] = ax;
        }
    }
    out
}

/// Hour-of-day and day-of-week of the bar's open time (UTC) as sin/cos pairs.
pub fn calendar(ts: &[i64]) -> [Vec<f64>; 4] {
    use std::f64::consts::TAU;
    let mut c: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::with_capacity(ts.len()));
    for &t in ts {
        let hour = t.div_euclid(3_600_000).rem_euclid(24) as f64;
        // 1970-01-01 was a Thursday; Monday = 0.
        let dow = (t.div_euclid(86_400_000) + 3).rem_euclid(7) as f64;
        c[0].push((TAU * hour / 24.0).sin());
        c[1].push((TAU * hour / 24.0).cos());
        c[2].push((TAU * dow / 7.0).sin());
        c[3].push((TAU * dow / 7.0).cos());
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::run_starts;

    #[test]
    fn rsi_extremes_and_gap_restart() {
        let close: Vec<f64> = (0..40).map(|i| 100.0 + i as f64).collect();
        let mut ts: Vec<i64> = (0..40).collect();
        for t in ts.iter_mut().skip(20) {
            *t += 5;
        }
        let rs = run_starts(&ts, 1);
        let r = rsi(&close, &rs, 14);
        assert!(r[13].is_nan());
        assert_eq!(r[14], 100.0);
        assert!(
            r[20].is_nan() && r[33].is_nan(),
            "warm-up restarts after the gap"
        );
        assert_eq!(r[34], 100.0);
    }

    #[test]
    fn ema_matches_pandas_adjust_false() {
        let close = [1.0, 2.0, 3.0, 4.0];
        let rs = run_starts(&[0, 1, 2, 3], 1);
        let d = ema_delta(&close, &rs, 3);
        // alpha 0.5: 1, 1.5, 2.25, 3.125
        assert!(d[1].is_nan());
        assert!((d[2] - (3.0 / 2.25 - 1.0)).abs() < 1e-15);
        assert!((d[3] - (4.0 / 3.125 - 1.0)).abs() < 1e-15);
    }

    #[test]
    fn calendar_knows_weekdays() {
        // 2024-01-01 00:00 UTC was a Monday.
        let c = calendar(&[1_704_067_200_000]);
        assert!(c[0][0].abs() < 1e-12 && (c[1][0] - 1.0).abs() < 1e-12);
        assert!(c[2][0].abs() < 1e-12 && (c[3][0] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn adx_is_bounded_and_warms_up() {
        let n = 200;
        let close: Vec<f64> = (0..n)
            .map(|i| 100.0 + (i as f64 * 0.3).sin() * 5.0 + i as f64 * 0.1)
            .collect();
        let high: Vec<f64> = close.iter().map(|c| c + 1.0).collect();
        let low: Vec<f64> = close.iter().map(|c| c - 1.0).collect();
        let rs = run_starts(&(0..n as i64).collect::<Vec<_>>(), 1);
        let a = adx(&high, &low, &close, &rs, 14);
        assert!(a[26].is_nan());
        assert!(a[27].is_finite());
        assert!(a
            .iter()
            .filter(|v| v.is_finite())
            .all(|v| (0.0..=100.0).contains(v)));
    }
}
