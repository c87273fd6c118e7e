//! Sweeps over precomputed actions (a served policy's, or an actions file): the seed's
//! action-override workflow. The same actions are re-simulated on the lockstep kernel under every
//! combination of simulator axes (intensity, price offset, intrabar round trips, lag, fill rule,
//! max hold, volume cap, ...) and on each trailing evaluation window (`lastDays`).
use crate::error::{BacktestError, Result};
use crate::load::{self, Window};
use crate::single::{window_params, KeyedActions};
use crate::sweep::{best_of, overfit_of, BestRow, Overfit, Ranked};
use serde::{Deserialize, Serialize};
use tradelab_calendar::Calendar;
use tradelab_sim::{
    run_batch, Actions, Metrics, SimLabel, SimParams, Strategy, SweepGrid, SweepSpec,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionsSweepRequest {
    #[serde(flatten)]
    pub window: Window,
    pub symbol: String,
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub base: Option<SimParams>,
    /// Simulator axes only (strategy axes do not apply to fixed actions).
    #[serde(default)]
    #[ts(type = "Record<string, unknown>", optional)]
    pub grid: Option<SweepGrid>,
    /// Trailing evaluation windows in days (e.g. 20, 30, 45, 60, 90); empty = the whole window.
    #[serde(default)]
    #[ts(optional)]
    pub last_days: Option<Vec<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionsSweepRow {
    #[ts(type = "number")]
    pub index: u64,
    /// The trailing window in days, or null for the whole window.
    pub last_days: Option<f64>,
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub first: i64,
    pub params: SimParams,
    /// The row's own assumptions (lag, fill, fees, P), as every table prints them.
    pub label: SimLabel,
    pub optimistic: bool,
    pub metrics: Metrics,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionsSweepReport {
    pub rows: Vec<ActionsSweepRow>,
    /// The best honest row by Sortino, over every window.
    pub best: Option<BestRow>,
    /// Deflated Sharpe and PBO over the rows on the best row's window (same bars, N trials).
    pub overfit: Option<Overfit>,
    #[ts(type = "number")]
    pub bar_evaluations: u64,
    pub seconds: f64,
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    pub base_label: SimLabel,
    pub periods: String,
    pub data_hash: String,
    pub split: Option<crate::load::SplitInfo>,
}

fn strategy_axes_used(g: &SweepGrid) -> Option<&'static str> {
    [
        ("fast", g.fast.is_empty()),
        ("slow", g.slow.is_empty()),
        ("slack", g.slack.is_empty()),
        ("buyOffset", g.buy_offset.is_empty()),
        ("sellOffset", g.sell_offset.is_empty()),
        ("buyFrac", g.buy_frac.is_empty()),
        ("sellFrac", g.sell_frac.is_empty()),
    ]
    .into_iter()
    .find(|(_, empty)| !empty)
    .map(|(n, _)| n)
}

/// The simulator combinations of `grid` over `base`, for fixed actions: strategy axes are refused
/// (they do not apply); expansion and validation are the rule sweeps'.
pub fn sim_axes(base: &SimParams, grid: SweepGrid) -> Result<Vec<SimParams>> {
    if let Some(axis) = strategy_axes_used(&grid) {
        return Err(BacktestError::input(
            "grid",
            format!(
                "axis `{axis}` is a rule strategy's; an actions sweep varies simulator axes only"
            ),
        ));
    }
    let spec = SweepSpec {
        base: base.clone(),
        strategy: Strategy::Band {
            buy_offset: 0.0,
            sell_offset: 0.0,
            buy_frac: 0.0,
            sell_frac: 0.0,
        },
        grid,
    };
    Ok(spec.sim_params()?)
}

pub fn run(req: &ActionsSweepRequest, keyed: KeyedActions<'_>) -> Result<ActionsSweepReport> {
    let (window, split) = req.window.resolve(&[req.symbol.as_str()], "sweep")?;
    let (sym, bars) = load::bars(&window, &req.symbol)?;
    let iv = window.interval()?;
    let (base, periods) = window_params(
        &req.base.clone().unwrap_or_default(),
        Calendar::for_symbol(&sym)?,
        iv.ms(),
    )?;
    let sims = sim_axes(&base, req.grid.clone().unwrap_or_default())?;
    let actions = Actions::from_keyed(
        &bars.ts,
        keyed.ts,
        keyed.buy_price,
        keyed.sell_price,
        keyed.buy_frac,
        keyed.sell_frac,
    )?;
    let mut windows: Vec<Option<f64>> = match &req.last_days {
        Some(v) if !v.is_empty() => v.iter().map(|&d| Some(d)).collect(),
        _ => vec![None],
    };
    windows.dedup();
    let last = bars.ts[bars.len() - 1];
    let started = std::time::Instant::now();
    let mut rows = Vec::new();
    let mut evals = 0u64;
    let mut slices = Vec::new();
    for w in &windows {
        let from = match w {
            None => 0,
            Some(d) if !(d.is_finite() && *d > 0.0) => {
                return Err(BacktestError::input(
                    "lastDays",
                    format!("{d} is not a positive number of days"),
                ))
            }
            Some(d) => {
                let cut = last + iv.ms() - (d * 86_400_000.0).round() as i64;
                bars.ts.partition_point(|&t| t < cut)
            }
        };
        let b = bars.slice(from..bars.len());
        let a = actions.slice(from..actions.len());
        for p in &sims {
            tradelab_sim::params::check_lag(p, b.len())?;
        }
        let out = run_batch(&b, &a, &sims, None)?;
        evals += out.bar_evaluations;
        for (p, m) in sims.iter().zip(out.metrics) {
            rows.push(ActionsSweepRow {
                index: rows.len() as u64,
                last_days: *w,
                bars: b.len() as u64,
                first: b.ts[0],
                params: p.clone(),
                label: p.describe(),
                optimistic: p.is_optimistic(),
                metrics: m,
            });
        }
        slices.push((*w, b, a));
    }
    let seconds = started.elapsed().as_secs_f64();
    let ranked: Vec<Ranked<'_>> = rows
        .iter()
        .map(|r| Ranked {
            index: r.index,
            optimistic: r.optimistic,
            sortino: r.metrics.curve.sortino,
            params: &r.params,
        })
        .collect();
    let best = best_of(&ranked);
    let overfit = match &best {
        None => None,
        Some(b) => {
            let bw = rows[b.index as usize].last_days;
            let (_, wb, wa) = slices.iter().find(|(w, _, _)| *w == bw).ok_or_else(|| {
                BacktestError::input("lastDays", "window of the best row is missing")
            })?;
            let honest: Vec<(u64, f64)> = rows
                .iter()
                .filter(|r| r.last_days == bw && !r.optimistic && !r.metrics.curve.sortino.is_nan())
                .map(|r| (r.index, r.metrics.curve.sharpe))
                .collect();
            let sim = |i: u64| -> Result<(f64, Vec<f64>)> {
                let r = tradelab_sim::simulate(wb, wa, &rows[i as usize].params)?;
                Ok((r.metrics.curve.start_equity, r.equity))
            };
            overfit_of(&honest, b.index, base.periods_per_year(), &sim)?
        }
    };
    Ok(ActionsSweepReport {
        best,
        overfit,
        bar_evaluations: evals,
        seconds,
        bars: bars.len() as u64,
        first: bars.ts[0],
        last,
        base_label: base.describe(),
        periods,
        data_hash: load::data_hash(&window, [&sym])?,
        split,
        rows,
    })
}
