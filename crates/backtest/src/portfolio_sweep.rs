//! Portfolio sweeps: the grid of a single-asset sweep (strategy and simulator axes) plus a
//! `maxPositions` axis, each parameter set one shared-cash run of the engine's `step` over every
//! symbol. Sets run in parallel (one per core); the bars are loaded once.
use crate::error::{BacktestError, Result};
use crate::load::Window;
use crate::portfolio::Prepared;
use crate::sweep::BestRow;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use tradelab_sim::{Metrics, SimLabel, SimParams, Strategy, SweepGrid, SweepSpec};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortfolioSweepRequest {
    #[serde(flatten)]
    pub window: Window,
    pub symbols: Vec<String>,
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub base: Option<SimParams>,
    pub strategy: Strategy,
    /// Value lists per axis, as in a single-asset sweep (`SweepGrid`).
    #[serde(default)]
    #[ts(type = "Partial<Record<string, unknown[]>>", optional)]
    pub grid: Option<SweepGrid>,
    /// The `maxPositions` axis (default: one value, a slot per symbol).
    #[serde(default)]
    #[ts(type = "number[]", optional)]
    pub max_positions: Option<Vec<usize>>,
    #[serde(default)]
    #[ts(optional)]
    pub end_of_day_close: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioSweepRow {
    /// Position in the expanded grid: strategy-major, then simulator axes, then maxPositions.
    #[ts(type = "number")]
    pub index: u64,
    pub strategy: Strategy,
    pub params: SimParams,
    #[ts(type = "number")]
    pub max_positions: u64,
    /// The params use an optimistic assumption (lag 0, intrabar cycles).
    pub optimistic: bool,
    pub metrics: Metrics,
    pub liquidation_value: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioSweepReport {
    pub symbols: Vec<String>,
    pub rows: Vec<PortfolioSweepRow>,
    /// Strategy combinations dropped as invalid, with the reason.
    pub skipped: Vec<String>,
    pub best: Option<BestRow>,
    pub base_label: SimLabel,
    pub periods: String,
    /// Bar rows over all symbols, per parameter set.
    #[ts(type = "number")]
    pub bar_rows: u64,
    /// Bar rows times parameter sets.
    #[ts(type = "number")]
    pub bar_evaluations: u64,
    pub seconds: f64,
    #[ts(type = "number")]
    pub threads: u64,
    #[ts(type = "number")]
    pub steps: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    pub data_hash: String,
    /// The named split run on, if any (`test (burned)` when the test lock saw it before).
    pub split: Option<crate::load::SplitInfo>,
    /// Deflated Sharpe and PBO of the best row among the N honest runs.
    pub overfit: Option<crate::sweep::Overfit>,
}

/// Refuse portfolio grids above this many runs (each is a full engine fold over every symbol).
pub const MAX_PORTFOLIO_SETS: usize = 100_000;

pub fn run(
    req: &PortfolioSweepRequest,
    progress: Option<tradelab_sim::Progress<'_>>,
) -> Result<PortfolioSweepReport> {
    let prep = Prepared::load(&req.window, &req.symbols, "portfolio sweep")?;
    let spec = SweepSpec {
        base: req.base.clone().unwrap_or_default(),
        strategy: req.strategy.clone(),
        grid: req.grid.clone().unwrap_or_default(),
    };
    let (strategies, skipped) = spec.strategies()?;
    let sims = spec.sim_params()?;
    let slots = req
        .max_positions
        .clone()
        .unwrap_or_else(|| vec![prep.symbols()]);
    if slots.is_empty() {
        return Err(BacktestError::input(
            "maxPositions",
            "the axis is empty: give at least one value, or leave it out",
        ));
    }
    if strategies.is_empty() {
        return Err(BacktestError::input(
            "grid",
            format!(
                "every strategy combination is invalid ({} skipped)",
                skipped.len()
            ),
        ));
    }
    let total = strategies.len() * sims.len() * slots.len();
    if total > MAX_PORTFOLIO_SETS {
        return Err(BacktestError::input(
            "grid",
            format!(
                "{total} portfolio runs exceeds the limit of {MAX_PORTFOLIO_SETS}; shrink an axis"
            ),
        ));
    }
    let (base, periods) = prep.params(&spec.base)?;
    let (ns, nm) = (sims.len(), slots.len());
    let jobs: Vec<(usize, usize, usize)> = (0..strategies.len())
        .flat_map(|a| (0..ns).flat_map(move |p| (0..nm).map(move |m| (a, p, m))))
        .collect();
    let done = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let rows = jobs
        .par_iter()
        .enumerate()
        .map(|(index, &(a, p, m))| {
            let (params, periods) = prep.params(&sims[p])?;
            let (report, _) = prep.run(
                &strategies[a],
                params,
                periods,
                Some(slots[m]),
                req.end_of_day_close.unwrap_or(false),
            )?;
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(cb) = progress {
                cb(d, total as u64);
            }
            Ok(PortfolioSweepRow {
                index: index as u64,
                optimistic: report.params.describe().optimistic,
                strategy: report.strategy,
                params: report.params,
                max_positions: report.max_positions,
                metrics: report.metrics,
                liquidation_value: report.liquidation_value,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let seconds = started.elapsed().as_secs_f64();
    let (steps, first, last) = prep.clock_span();
    let best = best_row(&rows);
    // What the best row owes to the number of runs tried: each honest run re-run on the engine
    // for its per-bar returns.
    let overfit = match &best {
        None => None,
        Some(b) => {
            let honest: Vec<(u64, f64)> = rows
                .iter()
                .filter(|r| !r.optimistic && !r.metrics.curve.sortino.is_nan())
                .map(|r| (r.index, r.metrics.curve.sharpe))
                .collect();
            let sim = |i: u64| -> Result<(f64, Vec<f64>)> {
                let (a, p, m) = jobs[i as usize];
                let (params, periods) = prep.params(&sims[p])?;
                let (report, r) = prep.run(
                    &strategies[a],
                    params,
                    periods,
                    Some(slots[m]),
                    req.end_of_day_close.unwrap_or(false),
                )?;
                Ok((report.metrics.curve.start_equity, r.equity))
            };
            crate::sweep::overfit_of(&honest, b.index, base.periods_per_year(), &sim)?
        }
    };
    Ok(PortfolioSweepReport {
        best,
        overfit,
        symbols: req.symbols.clone(),
        skipped,
        base_label: base.describe(),
        periods,
        bar_rows: prep.bar_rows(),
        bar_evaluations: prep.bar_rows() * rows.len() as u64,
        seconds,
        threads: rayon::current_num_threads() as u64,
        steps,
        first,
        last,
        data_hash: prep.data_hash.clone(),
        split: prep.split.clone(),
        rows,
    })
}

/// As `sweep::best_row`: highest Sortino among rows without optimistic assumptions, ties keep
/// the first.
fn best_row(rows: &[PortfolioSweepRow]) -> Option<BestRow> {
    let keyed: Vec<crate::sweep::Ranked<'_>> = rows
        .iter()
        .map(|r| crate::sweep::Ranked {
            index: r.index,
            optimistic: r.optimistic,
            sortino: r.metrics.curve.sortino,
            params: &r.params,
        })
        .collect();
    crate::sweep::best_of(&keyed)
}
