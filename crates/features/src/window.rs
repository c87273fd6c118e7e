//! Time-aware windows. A window over bars `t-k ..= t` is valid only when those bars are
//! consecutive in time (each `ts` step equals the interval); a data gap invalidates every window
//! that would bridge it instead of silently treating rows as hours.

/// `run_start[t]`: index of the first bar of the gap-free run containing bar `t`.
pub fn run_starts(ts: &[i64], step_ms: i64) -> Vec<usize> {
    let mut out = Vec::with_capacity(ts.len());
    let mut start = 0usize;
    for t in 0..ts.len() {
        if t > 0 && ts[t] - ts[t - 1] != step_ms {
            start = t;
        }
        out.push(start);
    }
    out
}

/// True when bars `t-k ..= t` exist and are consecutive.
#[inline]
pub fn covers(run_start: &[usize], t: usize, k: usize) -> bool {
    t >= k && t - k >= run_start[t]
}

/// `seg_start[t]`: first index of the stretch ending at `t` in which the bars are consecutive and
/// `x` is finite (`t + 1` when `x[t]` itself is not finite, so no window ending at `t` is valid).
pub fn finite_segments(x: &[f64], run_start: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(x.len());
    let mut start = 0usize;
    for t in 0..x.len() {
        if !x[t].is_finite() {
            start = t + 1;
        } else if run_start[t] > start {
            start = run_start[t];
        }
        out.push(start);
    }
    out
}

/// Rolling mean and sample standard deviation (ddof 1, like pandas) of the last `w` values of `x`.
/// Row t is NaN unless `x[t-w+1..=t]` are all finite and their bars consecutive. Sums run forward
/// only (so row t depends on rows <= t alone) and are recomputed exactly every `RESYNC` steps to
/// stop rounding drift; values are shifted by the segment's first value against cancellation.
pub fn rolling_mean_std(
    x: &[f64],
    run_start: &[usize],
    w: usize,
    want_std: bool,
) -> (Vec<f64>, Vec<f64>) {
    const RESYNC: usize = 1024;
    let n = x.len();
    let seg = finite_segments(x, run_start);
    let mut mean = vec![f64::NAN; n];
    let mut std = if want_std {
        vec![f64::NAN; n]
    } else {
        Vec::new()
    };
    if w == 0 {
        return (mean, std);
    }
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut shift = 0.0f64;
    let mut cur_seg = usize::MAX;
    let mut since_sync = 0usize;
    for t in 0..n {
        if seg[t] > t {
            cur_seg = usize::MAX;
            continue;
        }
        if seg[t] != cur_seg {
            cur_seg = seg[t];
            shift = x[t];
            s1 = 0.0;
            s2 = 0.0;
            since_sync = 0;
        }
        let v = x[t] - shift;
        s1 += v;
        s2 += v * v;
        if t + 1 - cur_seg > w {
            let o = x[t - w] - shift;
            s1 -= o;
            s2 -= o * o;
        }
        since_sync += 1;
        let len = (t + 1 - cur_seg).min(w);
        if since_sync >= RESYNC {
            since_sync = 0;
            s1 = 0.0;
            s2 = 0.0;
            for &xi in &x[t + 1 - len..=t] {
                let d = xi - shift;
                s1 += d;
                s2 += d * d;
            }
        }
        if len == w {
            let m = s1 / w as f64;
            mean[t] = m + shift;
            if want_std {
                std[t] = if w > 1 {
                    ((s2 - s1 * m) / (w as f64 - 1.0)).max(0.0).sqrt()
                } else {
                    f64::NAN
                };
            }
        }
    }
    (mean, std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_runs_and_invalidate_windows() {
        let ts = [0, 1, 2, 4, 5, 6, 7];
        let rs = run_starts(&ts, 1);
        assert_eq!(rs, [0, 0, 0, 3, 3, 3, 3]);
        assert!(covers(&rs, 2, 2));
        assert!(!covers(&rs, 4, 2));
        assert!(covers(&rs, 5, 2));
        let x = [1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 40.0];
        let (m, s) = rolling_mean_std(&x, &rs, 3, true);
        assert!(m[1].is_nan() && m[3].is_nan() && m[4].is_nan());
        assert_eq!(m[2], 2.0);
        assert_eq!(m[5], 20.0);
        assert_eq!(m[6], 30.0);
        assert!((s[6] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn matches_direct_computation_over_long_series() {
        let n = 5000;
        let ts: Vec<i64> = (0..n as i64).collect();
        let rs = run_starts(&ts, 1);
        let x: Vec<f64> = (0..n)
            .map(|i| 30000.0 + (i as f64 * 0.37).sin() * 500.0)
            .collect();
        let w = 168;
        let (m, s) = rolling_mean_std(&x, &rs, w, true);
        for t in (w - 1..n).step_by(97) {
            let win = &x[t + 1 - w..=t];
            let mu = win.iter().sum::<f64>() / w as f64;
            let var = win.iter().map(|v| (v - mu) * (v - mu)).sum::<f64>() / (w as f64 - 1.0);
            assert!((m[t] - mu).abs() < 1e-8, "mean at {t}");
            assert!((s[t] - var.sqrt()).abs() < 1e-6, "std at {t}");
        }
    }
}
