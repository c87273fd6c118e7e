//! Stress tables and the robust score: the same actions re-simulated under harsher and softer
//! assumptions, so a user sees when an edge lives only in a fill assumption.
//!
//! Every row is a plain [`simulate`] run (the one engine) with one assumption changed from the
//! base parameters. The lag-0 row is labelled OPTIMISTIC by the parameters' own rule.
use crate::{simulate, Actions, FillRule, Metrics, SimError, SimLabel, SimParams};
use serde::{Deserialize, Serialize};
use tradelab_core::Bars;

/// One scenario of a stress table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct StressRow {
    /// What changed, e.g. `default`, `touch`, `lag 2`, `cross 15 bps`, `fees x2`, `lag 0`.
    pub scenario: String,
    pub label: SimLabel,
    pub optimistic: bool,
    pub metrics: Metrics,
}

/// The scenarios of [`stress_table`], as (name, params) from `base`.
pub fn stress_scenarios(base: &SimParams) -> Vec<(String, SimParams)> {
    let with = |f: &dyn Fn(&mut SimParams)| {
        let mut p = base.clone();
        f(&mut p);
        p
    };
    vec![
        ("as run".to_string(), base.clone()),
        (
            "touch".to_string(),
            with(&|p| p.fill_rule = FillRule::Touch),
        ),
        (
            format!("lag {}", base.decision_lag + 1),
            with(&|p| p.decision_lag = base.decision_lag + 1),
        ),
        (
            "cross 15 bps".to_string(),
            with(&|p| p.fill_rule = FillRule::Cross { buffer: 0.0015 }),
        ),
        (
            "fees x2".to_string(),
            with(&|p| {
                p.maker_fee = base.maker_fee * 2.0;
                p.taker_fee = base.taker_fee * 2.0;
            }),
        ),
        ("lag 0".to_string(), with(&|p| p.decision_lag = 0)),
    ]
}

/// The same actions under the base assumptions, touch fills, one more bar of lag, a 15 bps cross
/// buffer, double fees, and lag 0 (OPTIMISTIC). Scenarios that equal the base (e.g. `lag 0` when
/// the base already has lag 0) are still listed, so tables always have the same rows.
pub fn stress_table(
    bars: &Bars,
    actions: &Actions,
    base: &SimParams,
) -> Result<Vec<StressRow>, SimError> {
    stress_scenarios(base)
        .into_iter()
        .map(|(scenario, p)| {
            let r = simulate(bars, actions, &p)?;
            Ok(StressRow {
                scenario,
                optimistic: p.is_optimistic(),
                label: r.label,
                metrics: r.metrics,
            })
        })
        .collect()
}

/// Summary over a set of scenarios (seed-system.md §9's robust selector sweep).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RobustScore {
    /// The seed's score: 1.5·worst return + 0.75·p25 return + 0.35·mean return + 2·p25
    /// Sortino + 0.5·worst Sortino − 0.8·worst drawdown − 0.25·mean drawdown −
    /// 50·(negative-return rate) − 0.75 per trade of mean shortfall below 6 trades; Sortino
    /// clipped to ±10. The seed's smoothness term is left out (its definition was not recovered).
    pub score: f64,
    pub worst_return: f64,
    pub p25_return: f64,
    pub mean_return: f64,
    pub worst_sortino: f64,
    pub p25_sortino: f64,
    pub mean_sortino: f64,
    pub worst_drawdown: f64,
    pub mean_drawdown: f64,
    pub negative_rate: f64,
    pub mean_trades: f64,
    /// Scenarios scored, e.g. "lags 0/1/2 × cross 0/5/10/15 bps × windows 20/30 d (24 runs)".
    pub scenarios: String,
    #[ts(type = "number")]
    pub runs: u64,
}

/// Lags and cross buffers of the seed's robust sweep.
pub const ROBUST_LAGS: [usize; 3] = [0, 1, 2];
pub const ROBUST_BUFFERS: [f64; 4] = [0.0, 0.0005, 0.0010, 0.0015];

/// The lower quartile by linear interpolation between order statistics (numpy's default).
fn p25(sorted: &[f64]) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = 0.25 * (sorted.len() - 1) as f64;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Scores metrics of several runs with the seed's robust formula.
pub fn robust_score(runs: &[Metrics], scenarios: String) -> RobustScore {
    let n = runs.len().max(1) as f64;
    let mut ret: Vec<f64> = runs.iter().map(|m| m.curve.total_return).collect();
    let mut sor: Vec<f64> = runs
        .iter()
        .map(|m| m.curve.sortino.clamp(-10.0, 10.0))
        .collect();
    let dd: Vec<f64> = runs.iter().map(|m| m.curve.max_drawdown).collect();
    ret.sort_by(f64::total_cmp);
    sor.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n;
    let worst_return = ret.first().copied().unwrap_or(f64::NAN);
    let worst_sortino = sor.first().copied().unwrap_or(f64::NAN);
    let worst_drawdown = dd.iter().copied().fold(0.0, f64::max);
    let negative_rate = ret.iter().filter(|&&r| r < 0.0).count() as f64 / n;
    let mean_trades = runs.iter().map(|m| m.trade_count as f64).sum::<f64>() / n;
    let (p25_return, p25_sortino) = (p25(&ret), p25(&sor));
    let (mean_return, mean_sortino, mean_drawdown) = (mean(&ret), mean(&sor), mean(&dd));
    let score = 1.5 * worst_return
        + 0.75 * p25_return
        + 0.35 * mean_return
        + 2.0 * p25_sortino
        + 0.5 * worst_sortino
        - 0.8 * worst_drawdown
        - 0.25 * mean_drawdown
        - 50.0 * negative_rate
        - 0.75 * (6.0 - mean_trades).max(0.0);
    RobustScore {
        score,
        worst_return,
        p25_return,
        mean_return,
        worst_sortino,
        p25_sortino,
        mean_sortino,
        worst_drawdown,
        mean_drawdown,
        negative_rate,
        mean_trades,
        scenarios,
        runs: runs.len() as u64,
    }
}

/// The robust score of `actions` over lags 0/1/2 × cross buffers 0/5/10/15 bps, on the whole
/// window and on each trailing window of `window_days` days (longer windows than the bars are
/// skipped).
pub fn robust_over_assumptions(
    bars: &Bars,
    actions: &Actions,
    base: &SimParams,
    window_days: &[f64],
) -> Result<RobustScore, SimError> {
    let mut windows: Vec<Option<f64>> = vec![None];
    let span_days = match (bars.ts.first(), bars.ts.last()) {
        (Some(a), Some(b)) => (b - a + base.interval_ms) as f64 / 86_400_000.0,
        _ => 0.0,
    };
    windows.extend(
        window_days
            .iter()
            .filter(|&&d| d < span_days)
            .map(|&d| Some(d)),
    );
    let mut runs = Vec::new();
    for &lag in &ROBUST_LAGS {
        for &buffer in &ROBUST_BUFFERS {
            let mut p = base.clone();
            p.decision_lag = lag;
            p.fill_rule = FillRule::Cross { buffer };
            p.last_window_days = None;
            for w in &windows {
                let (b, a) = match w {
                    None => (bars.clone(), actions.clone()),
                    Some(d) => trailing(bars, actions, *d),
                };
                if b.len() <= lag + 1 {
                    continue;
                }
                runs.push(simulate(&b, &a, &p)?.metrics);
            }
        }
    }
    let win = if windows.len() > 1 {
        format!(
            " × windows all/{} d",
            windows
                .iter()
                .flatten()
                .map(|d| crate::params::fmt_num(*d))
                .collect::<Vec<_>>()
                .join("/")
        )
    } else {
        String::new()
    };
    let scenarios = format!(
        "lags 0/1/2 × cross 0/5/10/15 bps{win} ({} runs)",
        runs.len()
    );
    Ok(robust_score(&runs, scenarios))
}

/// The last `days` of bars and their action rows.
fn trailing(bars: &Bars, actions: &Actions, days: f64) -> (Bars, Actions) {
    let last = bars.ts.last().copied().unwrap_or(0);
    let cut = last - (days * 86_400_000.0) as i64;
    let from = bars.ts.partition_point(|&t| t <= cut);
    (
        bars.slice(from..bars.len()),
        actions.slice(from..actions.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Strategy;

    fn walk(n: usize) -> Bars {
        let mut b = Bars::with_capacity(n);
        let mut px = 100.0;
        for i in 0..n {
            let o = px;
            px *= 1.0 + 0.01 * ((i as f64 * 0.7).sin());
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.high.push(o.max(px) * 1.004);
            b.low.push(o.min(px) * 0.996);
            b.close.push(px);
            b.volume.push(10.0);
        }
        b
    }

    #[test]
    fn stress_rows_are_the_engine_under_each_assumption() {
        let bars = walk(400);
        let acts = Strategy::Band {
            buy_offset: 0.003,
            sell_offset: 0.003,
            buy_frac: 0.5,
            sell_frac: 0.5,
        }
        .actions(&bars)
        .unwrap();
        let base = SimParams::default();
        let rows = stress_table(&bars, &acts, &base).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.scenario.as_str()).collect();
        assert_eq!(
            names,
            [
                "as run",
                "touch",
                "lag 2",
                "cross 15 bps",
                "fees x2",
                "lag 0"
            ]
        );
        assert_eq!(
            rows[0].metrics,
            simulate(&bars, &acts, &base).unwrap().metrics
        );
        let only_lag0: Vec<bool> = rows.iter().map(|r| r.optimistic).collect();
        assert_eq!(only_lag0, [false, false, false, false, false, true]);
        // Touch fills at least as often as a 5 bps cross; a 15 bps buffer at most as often.
        assert!(rows[1].metrics.trade_count >= rows[0].metrics.trade_count);
        assert!(rows[3].metrics.trade_count <= rows[0].metrics.trade_count);
        assert!(rows[4].metrics.fees_paid > rows[0].metrics.fees_paid);
    }

    #[test]
    fn robust_score_follows_the_seed_formula() {
        let m = |r: f64, s: f64, dd: f64, trades: u64| {
            let mut x = simulate(&walk(10), &Actions::empty(10), &SimParams::default())
                .unwrap()
                .metrics;
            x.curve.total_return = r;
            x.curve.sortino = s;
            x.curve.max_drawdown = dd;
            x.trade_count = trades;
            x
        };
        let runs = [
            m(0.10, 2.0, 0.05, 10),
            m(-0.02, -0.5, 0.10, 4),
            m(0.04, 20.0, 0.02, 10),
        ];
        let r = robust_score(&runs, "t".into());
        assert_eq!(r.worst_return, -0.02);
        assert!((r.p25_return - 0.01).abs() < 1e-15); // between -0.02 and 0.04
        assert_eq!(r.worst_sortino, -0.5);
        assert_eq!(r.p25_sortino, 0.75);
        assert!((r.mean_sortino - 11.5 / 3.0).abs() < 1e-12); // 20 clipped to 10
        assert_eq!(r.worst_drawdown, 0.10);
        let shortfall = 6.0 - 24.0 / 3.0_f64;
        let want = 1.5 * -0.02 + 0.75 * 0.01 + 0.35 * 0.04 + 2.0 * 0.75 + 0.5 * -0.5
            - 0.8 * 0.10
            - 0.25 * (0.17 / 3.0)
            - 50.0 / 3.0
            - 0.75 * shortfall.max(0.0);
        assert!((r.score - want).abs() < 1e-12, "{} vs {want}", r.score);
    }

    #[test]
    fn robust_over_assumptions_runs_every_lag_and_buffer() {
        let bars = walk(24 * 40);
        let acts = Strategy::Band {
            buy_offset: 0.003,
            sell_offset: 0.003,
            buy_frac: 0.5,
            sell_frac: 0.5,
        }
        .actions(&bars)
        .unwrap();
        let r =
            robust_over_assumptions(&bars, &acts, &SimParams::default(), &[20.0, 90.0]).unwrap();
        assert_eq!(r.runs, 24); // 12 assumptions × (all, 20 d); 90 d is longer than the bars
        assert!(r.scenarios.contains("windows all/20 d"), "{}", r.scenarios);
        assert!(r.worst_return <= r.p25_return && r.p25_return <= r.mean_return.max(r.p25_return));
    }
}
