//! Walk-forward analysis: each fold ([`tradelab_core::folds`]) chooses its parameters on its
//! in-sample part — a rule strategy's sweep row, or for fixed actions (served policies, one
//! candidate per epoch) the candidate and its override parameters — and applies them to its
//! out-of-sample part. The out-of-sample parts, chained, are the result: a curve no choice has
//! seen. Every trial is a fold over the same engine (`run_batch` for ranking, `simulate` for the
//! chosen curve), so a fold's numbers equal a backtest of the same parameters on the same bars.
use crate::actions_sweep::sim_axes;
use crate::error::{BacktestError, Result};
use crate::load::{self, SplitInfo, Window};
use crate::single::window_params;
use crate::sweep::{best_of, overfit_of, Overfit, Ranked};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use tradelab_calendar::Calendar;
use tradelab_core::folds::FoldConfig;
use tradelab_core::Bars;
use tradelab_sim::{
    curve_metrics, run_batch, simulate, Actions, CurveMetrics, Metrics, SimLabel, SimParams,
    Strategy, SweepGrid, SweepSpec,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WalkForwardRequest {
    /// The span walked over. Without from/to/split: every stored bar before the test split, so a
    /// walk-forward never looks at the locked window unless asked (then it claims the lock).
    #[serde(flatten)]
    pub window: Window,
    pub symbol: String,
    #[ts(
        type = "{ mode: \"anchored\" | \"rolling\", oosDays: number, inSampleDays: number, folds?: number | null, purgeBars?: number, embargoBars?: number }"
    )]
    pub folds: FoldConfig,
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub base: Option<SimParams>,
    /// A rule strategy whose grid axes are searched per fold (absent for fixed actions).
    #[serde(default)]
    #[ts(optional)]
    pub strategy: Option<Strategy>,
    #[serde(default)]
    #[ts(type = "Record<string, unknown>", optional)]
    pub grid: Option<SweepGrid>,
    /// Folds whose out-of-sample part starts before this bar open time are dropped: a policy's
    /// first bar after its training data (its validation start).
    #[serde(default)]
    #[ts(type = "number | null", optional)]
    pub oos_not_before: Option<i64>,
}

/// A fixed action set to choose among (e.g. one served epoch), keyed by bar open time.
pub struct Candidate<'a> {
    pub label: String,
    pub actions: crate::single::KeyedActions<'a>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    #[ts(type = "number")]
    pub from: i64,
    /// Exclusive.
    #[ts(type = "number")]
    pub to: i64,
    #[ts(type = "number")]
    pub bars: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FoldResult {
    #[ts(type = "number")]
    pub index: u64,
    pub in_sample: Part,
    pub oos: Part,
    /// The chosen trial: index into strategies × simulator combinations (or candidates × ...).
    #[ts(type = "number")]
    pub trial: u64,
    /// The chosen rule strategy, or the chosen candidate's label.
    pub strategy: Option<Strategy>,
    pub candidate: Option<String>,
    pub params: SimParams,
    pub label: SimLabel,
    /// e.g. "best of 36 by Sortino (12 optimistic rows excluded), selected on this fold's in-sample part".
    pub selection: String,
    /// The chosen trial on the in-sample part (where it was chosen: optimistic by construction).
    pub in_sample_metrics: Metrics,
    /// The chosen trial on the out-of-sample part (the reference `simulate`, restarted flat).
    pub oos_metrics: Metrics,
    /// The chosen trial's out-of-sample Sortino rank among the honest trials, in (0, 1):
    /// 1 = best. At or below 0.5 the in-sample choice did no better than the median out of sample.
    pub oos_rank: f64,
    /// Deflated Sharpe and PBO of the in-sample choice over its N honest trials.
    pub overfit: Option<Overfit>,
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct WalkForwardReport {
    pub folds: Vec<FoldResult>,
    /// Folds left out, and why (e.g. out-of-sample before a policy's first unseen bar).
    pub notes: Vec<String>,
    /// Trials per fold (strategies or candidates × simulator combinations), optimistic ones included.
    #[ts(type = "number")]
    pub trials: u64,
    /// The concatenated out-of-sample curve: each fold's curve, chained from the previous end.
    pub oos: CurveMetrics,
    #[ts(type = "number")]
    pub oos_trades: u64,
    #[ts(type = "number")]
    pub oos_round_trips: u64,
    pub oos_fees: f64,
    /// Probabilistic Sharpe of the concatenated out-of-sample returns against 0 (no selection on
    /// them, so no deflation): the probability the true per-bar Sharpe is positive.
    pub oos_psr: f64,
    /// Share of folds whose in-sample choice ranked at or below the median out of sample: the
    /// walk-forward estimate of the probability of backtest overfitting.
    pub pbo: Option<f64>,
    #[ts(type = "number[]")]
    pub curve_ts: Vec<i64>,
    pub curve_equity: Vec<f64>,
    #[ts(type = "number")]
    pub bar_evaluations: u64,
    pub seconds: f64,
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    /// What the span is: `before test`, `custom`, a split name, or `... (burned)`.
    pub span: String,
    pub base_label: SimLabel,
    pub periods: String,
    pub data_hash: String,
    pub split: Option<SplitInfo>,
    /// One line for tables: what the out-of-sample numbers are and are not.
    pub text: String,
}

/// Where the walked bars come from, and whether they touch the test window.
fn span(req: &WalkForwardRequest) -> Result<(Window, String, Option<SplitInfo>)> {
    let w = &req.window;
    if w.split.is_some() {
        let (resolved, split) = w.resolve(&[req.symbol.as_str()], "walk-forward")?;
        let label = split.as_ref().map_or("custom".into(), |s| s.label.clone());
        return Ok((resolved, label, split));
    }
    let (syms, first, last) = w.extent(&[req.symbol.as_str()])?;
    let b = w.bounds(first, last)?;
    let mut out = w.clone();
    let to = *out.to.get_or_insert(b.test_start);
    let from = w.from.unwrap_or(first);
    let mut label = if w.to.is_none() {
        "before test".to_string()
    } else {
        "custom".to_string()
    };
    if from < b.test_end && to > b.test_start {
        let lo = from.max(b.test_start);
        let hi = to.min(b.test_end);
        if w.claim_test_look(&syms, lo, hi, "walk-forward")? {
            label.push_str(" (test burned)");
        } else {
            label.push_str(" (includes test)");
        }
    }
    Ok((out, label, None))
}

/// What is searched per fold: rule strategies (actions computed on the whole span, causally,
/// then cut to each part) or fixed candidates.
enum Sources {
    Rules(Vec<Strategy>),
    Fixed(Vec<(String, Actions)>),
}

impl Sources {
    fn len(&self) -> usize {
        match self {
            Sources::Rules(v) => v.len(),
            Sources::Fixed(v) => v.len(),
        }
    }

    fn actions(&self, i: usize, bars: &Bars) -> Result<Cow<'_, Actions>> {
        match self {
            Sources::Rules(v) => Ok(Cow::Owned(v[i].actions(bars)?)),
            Sources::Fixed(v) => Ok(Cow::Borrowed(&v[i].1)),
        }
    }
}

/// Half-open bar index range of `[from, to)` in `ts`.
fn idx(ts: &[i64], from: i64, to: i64) -> std::ops::Range<usize> {
    ts.partition_point(|&t| t < from)..ts.partition_point(|&t| t < to)
}

fn part(r: &std::ops::Range<usize>, from: i64, to: i64) -> Part {
    Part {
        from,
        to,
        bars: r.len() as u64,
    }
}

/// Walk-forward over `req.symbol`: rule strategies when `req.strategy` is set, else the given
/// fixed candidates (at least one).
pub fn run(req: &WalkForwardRequest, candidates: &[Candidate<'_>]) -> Result<WalkForwardReport> {
    let started = std::time::Instant::now();
    let (window, span_label, split) = span(req)?;
    let (sym, bars) = load::bars(&window, &req.symbol)?;
    let iv = window.interval()?;
    let (base, periods) = window_params(
        &req.base.clone().unwrap_or_default(),
        Calendar::for_symbol(&sym)?,
        iv.ms(),
    )?;
    let grid = req.grid.clone().unwrap_or_default();
    let (sources, sims) = match (&req.strategy, candidates.is_empty()) {
        (Some(_), false) => {
            return Err(BacktestError::input(
                "strategy",
                "give a rule strategy or fixed actions, not both",
            ))
        }
        (None, true) => {
            return Err(BacktestError::input(
                "strategy",
                "a walk-forward needs a rule strategy (with grid axes) or fixed actions",
            ))
        }
        (Some(s), true) => {
            let spec = SweepSpec {
                base: base.clone(),
                strategy: s.clone(),
                grid,
            };
            spec.grid_size()?;
            let (strategies, _skipped) = spec.strategies()?;
            if strategies.is_empty() {
                return Err(BacktestError::input(
                    "grid",
                    "every strategy combination is invalid",
                ));
            }
            (Sources::Rules(strategies), spec.sim_params()?)
        }
        (None, false) => {
            let fixed = candidates
                .iter()
                .map(|c| {
                    // Rows outside the span are not part of the walk (served over more bars).
                    let (a, _) = c.actions.within(&bars.ts)?;
                    Ok((c.label.clone(), a))
                })
                .collect::<Result<Vec<_>>>()?;
            (Sources::Fixed(fixed), sim_axes(&base, grid)?)
        }
    };
    let n_sims = sims.len();
    let trials = sources.len() * n_sims;
    if trials > tradelab_sim::sweep::MAX_SWEEP_SETS {
        return Err(BacktestError::input(
            "grid",
            format!(
                "{trials} trials per fold exceeds the limit of {}",
                tradelab_sim::sweep::MAX_SWEEP_SETS
            ),
        ));
    }
    // The folds, as bar index ranges; folds before `oosNotBefore` are dropped with a note.
    let bounds = req
        .folds
        .folds(iv, bars.ts[0], bars.ts[bars.len() - 1])
        .map_err(|e| BacktestError::input("folds", e))?;
    let mut notes = Vec::new();
    let mut folds = Vec::new();
    let mut unseen_dropped = 0usize;
    for (k, f) in bounds.iter().enumerate() {
        if req.oos_not_before.is_some_and(|t| f.oos_start < t) {
            unseen_dropped += 1;
            continue;
        }
        let is = idx(&bars.ts, f.in_sample_start, f.in_sample_end);
        let oos = idx(&bars.ts, f.oos_start, f.oos_end);
        if is.len() < 2 || oos.len() < 2 {
            notes.push(format!(
                "fold {k} dropped: {} in-sample and {} out-of-sample bars stored (gaps)",
                is.len(),
                oos.len()
            ));
            continue;
        }
        for p in &sims {
            tradelab_sim::params::check_lag(p, is.len().min(oos.len()))?;
        }
        folds.push((*f, is, oos));
    }
    if let (Some(t), true) = (req.oos_not_before, unseen_dropped > 0) {
        notes.insert(
            0,
            format!(
                "{unseen_dropped} earlier folds dropped: their out-of-sample parts start before the policy's first unseen bar ({})",
                tradelab_core::time::format_ms(t)
            ),
        );
    }
    if folds.is_empty() {
        return Err(BacktestError::input(
            "folds",
            format!("no fold left to walk: {}", notes.join("; ")),
        ));
    }
    // Every trial on every part: per source, its actions once, then one kernel batch per part.
    let per_source: Vec<Vec<(Vec<Metrics>, Vec<Metrics>)>> = (0..sources.len())
        .into_par_iter()
        .map(|s| {
            let a = sources.actions(s, &bars)?;
            folds
                .iter()
                .map(|(_, is, oos)| {
                    let i = run_batch(&bars.slice(is.clone()), &a.slice(is.clone()), &sims, None)?;
                    let o =
                        run_batch(&bars.slice(oos.clone()), &a.slice(oos.clone()), &sims, None)?;
                    Ok((i.metrics, o.metrics))
                })
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let evals: u64 = folds
        .iter()
        .map(|(_, is, oos)| ((is.len() + oos.len()) * trials) as u64)
        .sum();
    let metric = |s: usize, p: usize, k: usize, oos: bool| -> &Metrics {
        let (i, o) = &per_source[s][k];
        if oos {
            &o[p]
        } else {
            &i[p]
        }
    };
    let ppy = base.periods_per_year();
    let mut out = Vec::new();
    let mut curve_ts = Vec::new();
    let mut curve_equity = Vec::new();
    let mut running = f64::NAN;
    let mut start_equity = f64::NAN;
    let (mut trades, mut trips, mut fees) = (0u64, 0u64, 0.0);
    for (k, (f, is, oos)) in folds.iter().enumerate() {
        let ranked: Vec<Ranked<'_>> = (0..trials)
            .map(|t| {
                let (s, p) = (t / n_sims, t % n_sims);
                Ranked {
                    index: t as u64,
                    optimistic: sims[p].is_optimistic(),
                    sortino: metric(s, p, k, false).curve.sortino,
                    params: &sims[p],
                }
            })
            .collect();
        let Some(best) = best_of(&ranked) else {
            return Err(BacktestError::input(
                "grid",
                "every trial is optimistic (lag 0 or intrabar cycles): nothing honest to choose",
            ));
        };
        let t = best.index as usize;
        let (s, p) = (t / n_sims, t % n_sims);
        let a = sources.actions(s, &bars)?;
        let chosen = simulate(&bars.slice(oos.clone()), &a.slice(oos.clone()), &sims[p])?;
        // The choice's out-of-sample rank among the honest trials (ties share the midpoint).
        let honest: Vec<usize> = (0..trials)
            .filter(|&u| !sims[u % n_sims].is_optimistic())
            .collect();
        let mine = metric(s, p, k, true).curve.sortino;
        let (below, ties) = honest.iter().fold((0usize, 0usize), |(b, e), &u| {
            let v = metric(u / n_sims, u % n_sims, k, true).curve.sortino;
            if v < mine {
                (b + 1, e)
            } else if v == mine {
                (b, e + 1)
            } else {
                (b, e)
            }
        });
        let oos_rank = (below as f64 + (ties as f64 + 1.0) / 2.0) / (honest.len() as f64 + 1.0);
        // Deflated Sharpe / PBO of the in-sample choice over its honest trials.
        let is_bars = bars.slice(is.clone());
        let honest_sr: Vec<(u64, f64)> = honest
            .iter()
            .map(|&u| {
                (
                    u as u64,
                    metric(u / n_sims, u % n_sims, k, false).curve.sharpe,
                )
            })
            .filter(|(_, v)| !v.is_nan())
            .collect();
        let sim = |u: u64| -> Result<(f64, Vec<f64>)> {
            let u = u as usize;
            let a = sources.actions(u / n_sims, &bars)?;
            let r = simulate(&is_bars, &a.slice(is.clone()), &sims[u % n_sims])?;
            Ok((r.metrics.curve.start_equity, r.equity))
        };
        let overfit = overfit_of(&honest_sr, best.index, ppy, &sim)?;
        // Chain the out-of-sample curve from the previous fold's end.
        let s0 = chosen.metrics.curve.start_equity;
        if running.is_nan() {
            running = s0;
            start_equity = s0;
        }
        let scale = running / s0;
        curve_ts.extend_from_slice(&bars.ts[oos.clone()]);
        curve_equity.extend(chosen.equity.iter().map(|e| e * scale));
        running = curve_equity.last().copied().unwrap_or(running);
        trades += chosen.metrics.trade_count;
        trips += chosen.metrics.round_trips;
        fees += chosen.metrics.fees_paid * scale;
        out.push(FoldResult {
            index: k as u64,
            in_sample: part(is, f.in_sample_start, f.in_sample_end),
            oos: part(oos, f.oos_start, f.oos_end),
            trial: best.index,
            strategy: match &sources {
                Sources::Rules(v) => Some(v[s].clone()),
                Sources::Fixed(_) => None,
            },
            candidate: match &sources {
                Sources::Rules(_) => None,
                Sources::Fixed(v) => Some(v[s].0.clone()),
            },
            params: sims[p].clone(),
            label: best.label.clone(),
            selection: best.selection.replace(
                "selected on this window (in-sample)",
                "selected on this fold's in-sample part",
            ),
            in_sample_metrics: *metric(s, p, k, false),
            oos_metrics: chosen.metrics,
            oos_rank,
            overfit,
        });
    }
    let oos = curve_metrics(start_equity, &curve_equity, ppy);
    let r = crate::overfit::returns(start_equity, &curve_equity);
    let (_, skew, kurt) = crate::overfit::moments(&r);
    let oos_psr =
        crate::overfit::probabilistic_sharpe(oos.sharpe / ppy.sqrt(), 0.0, r.len(), skew, kurt);
    let pbo = if out.len() >= 2 {
        Some(out.iter().filter(|f| f.oos_rank <= 0.5).count() as f64 / out.len() as f64)
    } else {
        None
    };
    let text = format!(
        "out-of-sample: {} folds ({} mode, {} d each), chosen per fold among {trials} trials on its in-sample part; {}",
        out.len(),
        match req.folds.mode {
            tradelab_core::folds::FoldMode::Anchored => "anchored",
            tradelab_core::folds::FoldMode::Rolling => "rolling",
        },
        req.folds.oos_days,
        match pbo {
            Some(p) => format!(
                "walk-forward PBO {p:.2} (in-sample choice at or below the out-of-sample median in {} of {} folds)",
                out.iter().filter(|f| f.oos_rank <= 0.5).count(),
                out.len()
            ),
            None => "PBO needs at least 2 folds".into(),
        }
    );
    Ok(WalkForwardReport {
        notes,
        trials: trials as u64,
        oos,
        oos_trades: trades,
        oos_round_trips: trips,
        oos_fees: fees,
        oos_psr,
        pbo,
        curve_ts,
        curve_equity,
        bar_evaluations: evals,
        seconds: started.elapsed().as_secs_f64(),
        bars: bars.len() as u64,
        first: bars.ts[0],
        last: bars.ts[bars.len() - 1],
        span: span_label,
        base_label: base.describe(),
        periods,
        data_hash: load::data_hash(&window, [&sym])?,
        split,
        text,
        folds: out,
    })
}
