//! Grid sweeps: a JSON-able spec expanded to the cartesian product of its axes and run on the
//! kernel, one row per parameter set.
//!
//! Sets that share a strategy (and so the same `Actions`) are run as one kernel batch. Note the
//! seed's mistake (design §12.7): a sweep ranks parameter sets on the bars it is given, so the
//! best row is tuned on those bars; report it on a hold-out the sweep never saw.
use crate::inputs::check_bars;
use crate::kernel::{
    run_jobs_blocks, PreparedActions, Progress, ReturnBlocks, LANES, RETURN_BLOCKS,
};
use crate::{Actions, FillRule, Metrics, SimError, SimParams, Strategy};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use tradelab_core::Bars;

/// Refuse sweeps larger than this (rows are kept in memory, ~0.5 KB each).
pub const MAX_SWEEP_SETS: usize = 2_000_000;

/// A sweep: base parameters and strategy, plus value lists. An empty list keeps the base value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweepSpec {
    #[serde(default)]
    pub base: SimParams,
    pub strategy: Strategy,
    #[serde(default)]
    pub grid: SweepGrid,
}

/// Value lists per axis. Strategy axes must match the strategy kind (fast/slow/slack for
/// crossovers; buyOffset/sellOffset/buyFrac/sellFrac for band).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SweepGrid {
    pub intensity: Vec<f64>,
    pub price_offset_pct: Vec<f64>,
    pub maker_fee: Vec<f64>,
    pub taker_fee: Vec<f64>,
    pub max_round_trips_per_bar: Vec<u32>,
    pub decision_lag: Vec<usize>,
    pub max_volume_fraction: Vec<Option<f64>>,
    /// Cross-rule buffers: each value b becomes `FillRule::Cross { buffer: b }`.
    pub fill_buffer: Vec<f64>,
    /// Whole fill rules (use instead of `fill_buffer` to include `touch`).
    pub fill_rule: Vec<FillRule>,
    pub max_hold_bars: Vec<Option<usize>>,
    pub min_gap_pct: Vec<Option<f64>>,
    pub one_side_per_bar: Vec<bool>,
    pub fast: Vec<usize>,
    pub slow: Vec<usize>,
    pub slack: Vec<f64>,
    pub buy_offset: Vec<f64>,
    pub sell_offset: Vec<f64>,
    pub buy_frac: Vec<f64>,
    pub sell_frac: Vec<f64>,
}

/// One parameter set and its metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SweepRow {
    /// Position in the expanded grid (strategy-major, then simulator axes in field order).
    pub index: usize,
    pub strategy: Strategy,
    pub params: SimParams,
    /// The params use an optimistic assumption (lag 0, intrabar cycles).
    pub optimistic: bool,
    pub metrics: Metrics,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepResult {
    pub rows: Vec<SweepRow>,
    /// Strategy combinations dropped as invalid (e.g. fast >= slow), with the reason.
    pub skipped: Vec<String>,
    pub bar_evaluations: u64,
    /// Each row's returns over [`RETURN_BLOCKS`] blocks, in row order (the overfit pass's input).
    #[serde(skip)]
    pub blocks: Vec<ReturnBlocks>,
}

/// Expands `cur` by one axis: every existing entry × every value (no-op when `vals` is empty).
fn axis<T: Clone, V: Clone>(cur: Vec<T>, vals: &[V], set: impl Fn(&mut T, V)) -> Vec<T> {
    if vals.is_empty() {
        return cur;
    }
    let mut out = Vec::with_capacity(cur.len() * vals.len());
    for c in cur {
        for v in vals {
            let mut x = c.clone();
            set(&mut x, v.clone());
            out.push(x);
        }
    }
    out
}

impl SweepSpec {
    /// Parses a spec. An axis given as an empty list (`"fast": []`) is an error, not a silent
    /// fall-back to the base value.
    pub fn from_json(s: &str) -> Result<Self, SimError> {
        let v: serde_json::Value =
            serde_json::from_str(s).map_err(|e| SimError::InvalidSweep(e.to_string()))?;
        if let Some(grid) = v.get("grid").and_then(|g| g.as_object()) {
            if let Some((name, _)) = grid
                .iter()
                .find(|(_, a)| a.as_array().is_some_and(|a| a.is_empty()))
            {
                return Err(SimError::InvalidSweep(format!(
                    "grid axis `{name}` is empty: give at least one value, or leave the axis out to keep the base value"
                )));
            }
        }
        serde_json::from_value(v).map_err(|e| SimError::InvalidSweep(e.to_string()))
    }

    /// Axis lengths as (name, values), strategy axes first; empty axes count as 1.
    fn axis_lengths(&self) -> [(&'static str, usize); 19] {
        let g = &self.grid;
        [
            ("fast", g.fast.len()),
            ("slow", g.slow.len()),
            ("slack", g.slack.len()),
            ("buyOffset", g.buy_offset.len()),
            ("sellOffset", g.sell_offset.len()),
            ("buyFrac", g.buy_frac.len()),
            ("sellFrac", g.sell_frac.len()),
            ("intensity", g.intensity.len()),
            ("priceOffsetPct", g.price_offset_pct.len()),
            ("makerFee", g.maker_fee.len()),
            ("takerFee", g.taker_fee.len()),
            ("maxRoundTripsPerBar", g.max_round_trips_per_bar.len()),
            ("decisionLag", g.decision_lag.len()),
            ("maxVolumeFraction", g.max_volume_fraction.len()),
            ("fillBuffer", g.fill_buffer.len()),
            ("fillRule", g.fill_rule.len()),
            ("maxHoldBars", g.max_hold_bars.len()),
            ("minGapPct", g.min_gap_pct.len()),
            ("oneSidePerBar", g.one_side_per_bar.len()),
        ]
    }

    /// The size of the full grid (before invalid strategies are skipped), counted without
    /// expanding anything and with overflow checks; refused above [`MAX_SWEEP_SETS`].
    pub fn grid_size(&self) -> Result<usize, SimError> {
        let axes = self.axis_lengths();
        let used: Vec<String> = axes
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let total = axes
            .iter()
            .try_fold(1usize, |acc, (_, n)| acc.checked_mul((*n).max(1)));
        match total {
            Some(t) if t <= MAX_SWEEP_SETS => Ok(t),
            Some(t) => Err(SimError::InvalidSweep(format!(
                "{t} parameter sets ({}) exceeds the limit of {MAX_SWEEP_SETS}; shrink an axis",
                used.join(" x ")
            ))),
            None => Err(SimError::InvalidSweep(format!(
                "the grid ({}) has more parameter sets than can be counted (over {}); the limit is {MAX_SWEEP_SETS}",
                used.join(" x "),
                usize::MAX
            ))),
        }
    }

    /// The simulator-parameter combinations, each validated.
    pub fn sim_params(&self) -> Result<Vec<SimParams>, SimError> {
        self.grid_size()?;
        let g = &self.grid;
        if !g.fill_buffer.is_empty() && !g.fill_rule.is_empty() {
            return Err(SimError::InvalidSweep(
                "use either fillBuffer or fillRule, not both".into(),
            ));
        }
        let mut v = vec![self.base.clone()];
        v = axis(v, &g.intensity, |p, x| p.intensity = x);
        v = axis(v, &g.price_offset_pct, |p, x| p.price_offset_pct = x);
        v = axis(v, &g.maker_fee, |p, x| p.maker_fee = x);
        v = axis(v, &g.taker_fee, |p, x| p.taker_fee = x);
        v = axis(v, &g.max_round_trips_per_bar, |p, x| {
            p.max_round_trips_per_bar = x
        });
        v = axis(v, &g.decision_lag, |p, x| p.decision_lag = x);
        v = axis(v, &g.max_volume_fraction, |p, x| p.max_volume_fraction = x);
        v = axis(v, &g.fill_buffer, |p, x| {
            p.fill_rule = FillRule::Cross { buffer: x }
        });
        v = axis(v, &g.fill_rule, |p, x| p.fill_rule = x);
        v = axis(v, &g.max_hold_bars, |p, x| p.max_hold_bars = x);
        v = axis(v, &g.min_gap_pct, |p, x| p.min_gap_pct = x);
        v = axis(v, &g.one_side_per_bar, |p, x| p.one_side_per_bar = x);
        for p in &v {
            p.validate()?;
        }
        Ok(v)
    }

    /// The strategy combinations: valid ones, and descriptions of the skipped invalid ones.
    pub fn strategies(&self) -> Result<(Vec<Strategy>, Vec<String>), SimError> {
        self.grid_size()?;
        let g = &self.grid;
        let crossover_axes = !(g.fast.is_empty() && g.slow.is_empty() && g.slack.is_empty());
        let band_axes = !(g.buy_offset.is_empty()
            && g.sell_offset.is_empty()
            && g.buy_frac.is_empty()
            && g.sell_frac.is_empty());
        let is_band = matches!(self.strategy, Strategy::Band { .. });
        if (is_band && crossover_axes) || (!is_band && band_axes) {
            return Err(SimError::InvalidSweep(format!(
                "grid has axes that do not apply to strategy `{}`",
                self.strategy.label()
            )));
        }
        let mut v = vec![self.strategy.clone()];
        v = axis(v, &g.fast, |s, x| {
            if let Strategy::SmaCross { fast, .. } | Strategy::EmaCross { fast, .. } = s {
                *fast = x;
            }
        });
        v = axis(v, &g.slow, |s, x| {
            if let Strategy::SmaCross { slow, .. } | Strategy::EmaCross { slow, .. } = s {
                *slow = x;
            }
        });
        v = axis(v, &g.slack, |s, x| {
            if let Strategy::SmaCross { slack, .. } | Strategy::EmaCross { slack, .. } = s {
                *slack = x;
            }
        });
        v = axis(v, &g.buy_offset, |s, x| {
            if let Strategy::Band { buy_offset, .. } = s {
                *buy_offset = x;
            }
        });
        v = axis(v, &g.sell_offset, |s, x| {
            if let Strategy::Band { sell_offset, .. } = s {
                *sell_offset = x;
            }
        });
        v = axis(v, &g.buy_frac, |s, x| {
            if let Strategy::Band { buy_frac, .. } = s {
                *buy_frac = x;
            }
        });
        v = axis(v, &g.sell_frac, |s, x| {
            if let Strategy::Band { sell_frac, .. } = s {
                *sell_frac = x;
            }
        });
        let mut ok = Vec::with_capacity(v.len());
        let mut skipped = Vec::new();
        for s in v {
            match s.validate() {
                Ok(()) => ok.push(s),
                Err(e) => skipped.push(format!("{}: {e}", s.label())),
            }
        }
        Ok((ok, skipped))
    }

    /// Number of parameter sets the spec expands to (after skipping invalid strategies).
    pub fn count(&self) -> Result<usize, SimError> {
        Ok(self.strategies()?.0.len() * self.sim_params()?.len())
    }
}

/// Runs every combination of `spec` over `bars`. `progress(done, total)` is called from worker
/// threads as blocks of parameter sets finish.
pub fn run_sweep(
    bars: &Bars,
    spec: &SweepSpec,
    progress: Option<Progress<'_>>,
) -> Result<SweepResult, SimError> {
    run_sweep_rows(bars, spec, None, progress)
}

/// Rows `[start, end)` of a sweep's expansion (row index = strategy index × simulator sets +
/// simulator set index), as [`run_sweep`] gives them: the unit of a distributed sweep's chunks.
/// Concatenating the chunks of a partition of `0..spec.count()` gives `run_sweep`'s rows and
/// blocks exactly (each row is one kernel job, whatever lanes it shares).
pub fn sweep_chunk_range(total: usize, index: usize, count: usize) -> std::ops::Range<usize> {
    let count = count.max(1);
    (total * index / count)..(total * (index + 1) / count)
}

/// As [`run_sweep`], for the rows in `rows` only (None = all).
pub fn run_sweep_rows(
    bars: &Bars,
    spec: &SweepSpec,
    rows: Option<std::ops::Range<usize>>,
    progress: Option<Progress<'_>>,
) -> Result<SweepResult, SimError> {
    check_bars(bars)?;
    spec.grid_size()?;
    let sims = spec.sim_params()?;
    for p in &sims {
        crate::params::check_lag(p, bars.len())?;
    }
    let (strategies, skipped) = spec.strategies()?;
    if strategies.is_empty() {
        return Err(SimError::InvalidSweep(format!(
            "every strategy combination is invalid ({} skipped), e.g. {}",
            skipped.len(),
            skipped.first().map(String::as_str).unwrap_or("-")
        )));
    }
    let all = strategies.len().saturating_mul(sims.len());
    if all > MAX_SWEEP_SETS {
        return Err(SimError::InvalidSweep(format!(
            "{all} parameter sets exceeds the limit of {MAX_SWEEP_SETS}"
        )));
    }
    let range = rows.unwrap_or(0..all);
    if range.start > range.end || range.end > all {
        return Err(SimError::InvalidSweep(format!(
            "rows {}..{} are outside the sweep's {all} parameter sets",
            range.start, range.end
        )));
    }
    let total = range.len();
    let n_sims = sims.len();
    // The strategies whose rows touch the range, and each one's simulator sets in it.
    let first = range.start / n_sims.max(1);
    let last = if range.is_empty() {
        first
    } else {
        (range.end - 1) / n_sims + 1
    };
    let strategies = &strategies[first..last];
    let sims_of = |si: usize| -> std::ops::Range<usize> {
        let base = (first + si) * n_sims;
        range.start.saturating_sub(base).min(n_sims)..(range.end - base.min(range.end)).min(n_sims)
    };
    let done = AtomicU64::new(0);
    let on_done = |k: u64| {
        let d = done.fetch_add(k, Ordering::Relaxed) + k;
        if let Some(cb) = progress {
            cb(d, total as u64);
        }
    };
    let ma_cache = crate::strategies::MaCache::for_strategies(strategies, &bars.close);
    // Strategies go through the kernel in chunks: every (strategy, simulator set) pair is a job,
    // and jobs of different strategies share 8-lane blocks, so a grid with one simulator setting
    // per strategy still fills every lane. Chunking bounds the action memory (4 columns x bars).
    let chunk = (LANES * rayon::current_num_threads() * 4).max(LANES);
    let mut per_strategy: Vec<Vec<(Metrics, ReturnBlocks)>> = Vec::with_capacity(strategies.len());
    let mut done_strategies = 0;
    // Buffers reused by every chunk (one Actions + PreparedActions per slot).
    let mut scratch: Vec<Actions> = (0..chunk.min(strategies.len()))
        .map(|_| Actions::default())
        .collect();
    let mut prepared: Vec<PreparedActions> = (0..chunk.min(strategies.len()))
        .map(|_| PreparedActions::new(&Actions::default()))
        .collect();
    for group in strategies.chunks(chunk) {
        let k = group.len();
        group
            .par_iter()
            .zip(scratch[..k].par_iter_mut())
            .zip(prepared[..k].par_iter_mut())
            .map(|((s, a), p)| s.prepare_into(bars, &ma_cache, a, p))
            .collect::<Result<(), SimError>>()?;
        let jobs: Vec<(usize, usize)> = (0..k)
            .flat_map(|a| sims_of(done_strategies + a).map(move |p| (a, p)))
            .collect();
        let mut metrics =
            run_jobs_blocks(bars, &prepared[..k], &sims, &jobs, &on_done, RETURN_BLOCKS)
                .into_iter();
        for a in 0..k {
            per_strategy.push(
                metrics
                    .by_ref()
                    .take(sims_of(done_strategies + a).len())
                    .collect(),
            );
        }
        done_strategies += k;
    }
    let mut rows = Vec::with_capacity(total);
    let mut blocks = Vec::with_capacity(total);
    for (si, (strategy, metrics)) in strategies.iter().zip(per_strategy).enumerate() {
        let set = sims_of(si);
        for (pi, (params, (m, rb))) in sims[set.clone()].iter().zip(metrics).enumerate() {
            blocks.push(rb);
            rows.push(SweepRow {
                index: (first + si) * n_sims + set.start + pi,
                strategy: strategy.clone(),
                params: params.clone(),
                optimistic: params.is_optimistic(),
                metrics: m,
            });
        }
    }
    Ok(SweepResult {
        rows,
        skipped,
        bar_evaluations: (total * bars.len()) as u64,
        blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate;

    fn bars(n: usize) -> Bars {
        let mut b = Bars::with_capacity(n);
        for i in 0..n {
            let c = 100.0 + 10.0 * ((i as f64) * 0.3).sin() + (i as f64) * 0.05;
            let o = 100.0 + 10.0 * ((i as f64 - 1.0) * 0.3).sin() + (i as f64 - 1.0) * 0.05;
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.close.push(c);
            b.high.push(o.max(c) + 0.5);
            b.low.push(o.min(c) - 0.5);
            b.volume.push(100.0);
        }
        b
    }

    /// 3 fast x 2 slow (one invalid pair) x 8 simulator sets.
    fn ema_grid() -> SweepSpec {
        SweepSpec::from_json(
            r#"{
                "base": {"makerFee": 0.001},
                "strategy": {"kind": "emaCross", "fast": 3, "slow": 10},
                "grid": {"fast": [3, 5, 12], "slow": [10, 20], "intensity": [0.5, 1.0],
                         "decisionLag": [1, 2], "fillBuffer": [0.0, 0.0005]}
            }"#,
        )
        .unwrap()
    }

    #[test]
    fn expands_cartesian_product_and_matches_reference() {
        let spec = ema_grid();
        let b = bars(400);
        let res = run_sweep(&b, &spec, None).unwrap();
        // fast 12 / slow 10 is invalid: 5 strategies × 8 sim sets.
        assert_eq!(res.skipped.len(), 1);
        assert_eq!(res.rows.len(), 40);
        assert_eq!(spec.count().unwrap(), 40);
        assert_eq!(res.bar_evaluations, 40 * 400);
        for row in res.rows.iter().step_by(7) {
            let a = row.strategy.actions(&b).unwrap();
            assert_eq!(simulate(&b, &a, &row.params).unwrap().metrics, row.metrics);
        }
        let idx: Vec<usize> = res.rows.iter().map(|r| r.index).collect();
        assert_eq!(idx, (0..40).collect::<Vec<_>>());
        let json = serde_json::to_string(&res.rows[0]).unwrap();
        assert!(json.contains("\"sortino\"") && json.contains("\"decisionLag\""));
    }

    /// A distributed sweep's chunks (any partition of the rows, cutting strategies anywhere)
    /// concatenate to the whole sweep: the same rows and return blocks, bit for bit.
    #[test]
    fn row_chunks_concatenate_to_the_whole_sweep() {
        let spec = ema_grid();
        let b = bars(400);
        let whole = run_sweep(&b, &spec, None).unwrap();
        let total = whole.rows.len();
        for count in [1, 3, 7, 40, 64] {
            let mut rows = Vec::new();
            let mut blocks = Vec::new();
            for i in 0..count {
                let r = sweep_chunk_range(total, i, count);
                let part = run_sweep_rows(&b, &spec, Some(r.clone()), None).unwrap();
                assert_eq!(part.rows.len(), r.len());
                assert_eq!(part.bar_evaluations, (r.len() * 400) as u64);
                rows.extend(part.rows);
                blocks.extend(part.blocks);
            }
            assert_eq!(rows, whole.rows, "{count} chunks");
            assert_eq!(blocks, whole.blocks, "{count} chunks");
        }
        let e = run_sweep_rows(&b, &spec, Some(30..41), None).unwrap_err();
        assert!(e.to_string().contains("outside the sweep's 40"), "{e}");
    }

    /// One simulator set per strategy: blocks pack lanes of different strategies (per-lane
    /// actions). Every row must still equal the reference simulator bit for bit.
    #[test]
    fn strategy_only_grid_packs_lanes_and_matches_reference() {
        let spec = SweepSpec::from_json(
            r#"{
                "strategy": {"kind": "band", "buyOffset": 0.01, "sellOffset": 0.01, "buyFrac": 1, "sellFrac": 1},
                "grid": {"buyOffset": [0.001, 0.003, 0.006, 0.01, 0.02], "sellOffset": [0.002, 0.005, 0.01], "buyFrac": [0.5, 1.0]}
            }"#,
        )
        .unwrap();
        let b = bars(300);
        let res = run_sweep(&b, &spec, None).unwrap();
        assert_eq!(res.rows.len(), 30);
        for row in &res.rows {
            let a = row.strategy.actions(&b).unwrap();
            assert_eq!(
                simulate(&b, &a, &row.params).unwrap().metrics,
                row.metrics,
                "row {}",
                row.index
            );
        }
    }

    #[test]
    fn typos_in_specs_are_errors() {
        let bad = r#"{"strategy": {"kind": "emaCross", "fast": 3, "slow": 10}, "grid": {"intensty": [1.0]}}"#;
        assert!(matches!(
            SweepSpec::from_json(bad),
            Err(SimError::InvalidSweep(_))
        ));
        let bad = r#"{"strategy": {"kind": "emaCross", "fast": 3, "slow": 10, "slak": 0.1}}"#;
        assert!(SweepSpec::from_json(bad).is_err());
    }

    #[test]
    fn a_1e12_grid_is_refused_before_anything_is_expanded() {
        // Audit #87: 1000^4 rows aborted with a 40 GB allocation before the limit was checked.
        let vals = |n: usize| {
            (1..=n)
                .map(|i| format!("{i}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let fees = (0..1000)
            .map(|i| format!("{}", i as f64 * 1e-5))
            .collect::<Vec<_>>()
            .join(",");
        let json = format!(
            r#"{{"strategy": {{"kind": "emaCross", "fast": 3, "slow": 10}},
                "grid": {{"fast": [{}], "slow": [{}], "slack": [{}], "makerFee": [{fees}]}}}}"#,
            vals(1000),
            vals(1000),
            (0..1000)
                .map(|i| format!("{}", i as f64 * 1e-4))
                .collect::<Vec<_>>()
                .join(",")
        );
        let spec = SweepSpec::from_json(&json).unwrap();
        let e = run_sweep(&bars(10), &spec, None).unwrap_err().to_string();
        assert!(
            e.contains("1000000000000 parameter sets") && e.contains("2000000"),
            "{e}"
        );
        assert!(spec.count().is_err() && spec.strategies().is_err() && spec.sim_params().is_err());
        // Products beyond usize are refused too (checked multiplication).
        let mut big = spec.clone();
        big.grid.decision_lag = vec![1; 1_000_000];
        big.grid.intensity = vec![1.0; 1_000_000];
        big.grid.taker_fee = vec![0.0; 1_000_000];
        assert!(big
            .grid_size()
            .unwrap_err()
            .to_string()
            .contains("more parameter sets than can be counted"));
    }

    #[test]
    fn empty_axes_invalid_grids_and_unreachable_lags_are_errors() {
        // Audit #92: "fast": [] fell back to the base.
        let e = SweepSpec::from_json(
            r#"{"strategy": {"kind": "emaCross", "fast": 3, "slow": 10}, "grid": {"fast": []}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`fast` is empty"), "{e}");
        // Audit #93: every combination fast >= slow ended in an Arrow error.
        let spec = SweepSpec::from_json(r#"{"strategy": {"kind": "emaCross", "fast": 3, "slow": 10}, "grid": {"fast": [50], "slow": [10]}}"#).unwrap();
        let e = run_sweep(&bars(100), &spec, None).unwrap_err().to_string();
        assert!(
            e.contains("every strategy combination is invalid") && e.contains("fast < slow"),
            "{e}"
        );
        // Audit #97: decisionLag beyond the bars ran with all-zero results.
        let spec = SweepSpec::from_json(r#"{"strategy": {"kind": "emaCross", "fast": 3, "slow": 10}, "grid": {"decisionLag": [1, 1000000000]}}"#).unwrap();
        let e = run_sweep(&bars(100), &spec, None).unwrap_err().to_string();
        assert!(e.contains("decisionLag") && e.contains("100 bars"), "{e}");
    }

    #[test]
    fn rejects_axes_for_the_wrong_strategy() {
        let spec = SweepSpec {
            base: SimParams::default(),
            strategy: Strategy::Band {
                buy_offset: 0.01,
                sell_offset: 0.01,
                buy_frac: 1.0,
                sell_frac: 1.0,
            },
            grid: SweepGrid {
                fast: vec![3],
                ..Default::default()
            },
        };
        assert!(matches!(
            run_sweep(&bars(10), &spec, None),
            Err(SimError::InvalidSweep(_))
        ));
    }

    #[test]
    fn progress_counts_every_set() {
        let spec = SweepSpec {
            base: SimParams::default(),
            strategy: Strategy::Band {
                buy_offset: 0.01,
                sell_offset: 0.01,
                buy_frac: 1.0,
                sell_frac: 1.0,
            },
            grid: SweepGrid {
                buy_offset: vec![0.01, 0.02, 0.03],
                maker_fee: vec![0.0, 0.001, 0.002, 0.003, 0.004],
                ..Default::default()
            },
        };
        let max = AtomicU64::new(0);
        let cb = |d: u64, t: u64| {
            assert_eq!(t, 15);
            max.fetch_max(d, Ordering::Relaxed);
        };
        let res = run_sweep(&bars(100), &spec, Some(&cb)).unwrap();
        assert_eq!(res.rows.len(), 15);
        assert_eq!(max.load(Ordering::Relaxed), 15);
    }
}
