//! The lockstep batched kernel: many parameter sets advanced together over the same bars.
//!
//! Sets are packed into blocks of [`LANES`] that share the decision lag, the trailing-window
//! length and a feature profile. A block walks the bars once; for each bar it updates every
//! lane's structure-of-arrays state (cash[], inv[], stats[]...) with the same branch-free
//! arithmetic, so the compiler turns each lane loop into SIMD (AVX-512 / AVX2 picked at run
//! time). Blocks run in parallel on rayon. The inner loop allocates nothing; metrics are
//! accumulated incrementally with the shared `CurveStats`/`TradeStats` updates, so the results
//! equal `reference::simulate` bit for bit (checked by property tests).
//!
//! Speed comes from doing less per lane and bar: features a block does not use are compiled out
//! (profiles below), fills are applied with masked arithmetic (no per-lane branches, so one SIMD
//! pass covers 8 lanes), columns are cut to each segment so the bar loop has no bounds checks,
//! and the loop body is one straight line (the period return is always divided: a branch that
//! skipped it when no lane moved cost more in register shuffles than the division).
//! On Zen 4 every 512-bit FP op costs half a cycle of the two vector pipe pairs; the dense band
//! case runs about 70 such ops (two of them `vdivpd`) per bar per 8 lanes, and that op count,
//! not latency, bounds it (see README, Benchmarks).
use crate::cycles::intrabar_cycles;
use crate::inputs::check_bars;
use crate::metrics::{window_start, CurveStats, Metrics, TradeStats};
use crate::num::{fmax, fmin};
use crate::reference::DUST_BUDGET;
use crate::{Actions, SimError, SimParams};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use tradelab_core::Bars;

/// Parameter sets advanced together in one block (one AVX-512 vector of f64).
pub const LANES: usize = 8;

static BAR_EVALUATIONS: AtomicU64 = AtomicU64::new(0);

/// Total bar evaluations (parameter sets × bars) done by the kernel in this process.
pub fn total_bar_evaluations() -> u64 {
    BAR_EVALUATIONS.load(Ordering::Relaxed)
}

/// Progress callback: `(sets done, sets total)`. Called from worker threads.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Output of one batch: metrics in the order of the input parameter sets.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchOutput {
    pub metrics: Vec<Metrics>,
    /// Parameter sets × bars evaluated by this call.
    pub bar_evaluations: u64,
}

/// Blocks of a row's return series for PBO by CSCV (Bailey et al.'s S = 16).
pub const RETURN_BLOCKS: usize = 16;

/// One row's period returns summed over `S` contiguous blocks of the bar range: block k holds
/// the returns of bars `block_bounds(n, S)[k] .. [k + 1]` (bar i is in block floor(i S / n)).
/// Taken from the kernel's running sums at the block ends, so a sweep's overfit pass needs no
/// second simulation; differences of running sums, so equal to summing each block within rounding.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReturnBlocks {
    pub n: Vec<f64>,
    pub sum: Vec<f64>,
    pub sumsq: Vec<f64>,
}

impl ReturnBlocks {
    /// Splits a return series `r` into `s` contiguous blocks of (nearly) equal length, as the
    /// kernel does (return i is in block floor(i s / len)).
    pub fn of(r: &[f64], s: usize) -> ReturnBlocks {
        let mut b = ReturnBlocks {
            n: vec![0.0; s],
            sum: vec![0.0; s],
            sumsq: vec![0.0; s],
        };
        let len = r.len();
        for (i, &x) in r.iter().enumerate() {
            let k = i * s / len.max(1);
            b.n[k] += 1.0;
            b.sum[k] += x;
            b.sumsq[k] += x * x;
        }
        b
    }
}

/// Bar index where each of `s` blocks of `n` bars starts, and `n`: bar i is in block
/// floor(i s / n), so block k starts at ceil(k n / s).
pub fn block_bounds(n: usize, s: usize) -> Vec<usize> {
    (0..=s).map(|k| (k * n).div_ceil(s)).collect()
}

/// Whether an action row's order exists: the same no-order rule as
/// `Actions::buy_order`/`sell_order` (a price or fraction that is not finite and > 0 places nothing).
#[inline(always)]
fn live(price: f64, frac: f64) -> bool {
    price.is_finite() && price > 0.0 && frac.is_finite() && frac > 0.0
}

/// Actions normalised once for the kernel: a missing order becomes buy price 0 (never reached:
/// lows are > 0) or sell price +inf, with fraction 0. Same no-order rules as `Actions::buy_order`.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedActions {
    buy_price: Vec<f64>,
    sell_price: Vec<f64>,
    buy_frac: Vec<f64>,
    sell_frac: Vec<f64>,
}

impl PreparedActions {
    pub fn new(a: &Actions) -> Self {
        let mut p = PreparedActions {
            buy_price: Vec::new(),
            sell_price: Vec::new(),
            buy_frac: Vec::new(),
            sell_frac: Vec::new(),
        };
        p.fill_from(a);
        p
    }

    /// Re-prepares into existing buffers. Sweeps reuse them across strategies: fresh multi-MB
    /// allocations per strategy cost more in page faults than the kernel run itself.
    pub fn fill_from(&mut self, a: &Actions) {
        // Branch-free column passes of the one no-order rule (`live`).
        let fill =
            |out: &mut Vec<f64>, prices: &[f64], fracs: &[f64], none: f64, pick_price: bool| {
                out.clear();
                out.extend(prices.iter().zip(fracs).map(|(&p, &f)| {
                    if live(p, f) {
                        if pick_price {
                            p
                        } else {
                            f
                        }
                    } else if pick_price {
                        none
                    } else {
                        0.0
                    }
                }));
            };
        fill(&mut self.buy_price, &a.buy_price, &a.buy_frac, 0.0, true);
        fill(&mut self.buy_frac, &a.buy_price, &a.buy_frac, 0.0, false);
        fill(
            &mut self.sell_price,
            &a.sell_price,
            &a.sell_frac,
            f64::INFINITY,
            true,
        );
        fill(&mut self.sell_frac, &a.sell_price, &a.sell_frac, 0.0, false);
    }

    /// `n` rows with no order: what `fill_from` gives for all-NaN actions.
    pub(crate) fn reset_no_orders(&mut self, n: usize) {
        for (col, none) in [
            (&mut self.buy_price, 0.0),
            (&mut self.buy_frac, 0.0),
            (&mut self.sell_price, f64::INFINITY),
            (&mut self.sell_frac, 0.0),
        ] {
            col.clear();
            col.resize(n, none);
        }
    }

    /// Sets row `t`'s buy order, or leaves the row without one when the order is not `live`
    /// (as `fill_from` would).
    #[inline(always)]
    pub(crate) fn set_buy(&mut self, t: usize, price: f64, frac: f64) {
        if live(price, frac) {
            self.buy_price[t] = price;
            self.buy_frac[t] = frac;
        }
    }

    /// Sets row `t`'s sell order (see `set_buy`).
    #[inline(always)]
    pub(crate) fn set_sell(&mut self, t: usize, price: f64, frac: f64) {
        if live(price, frac) {
            self.sell_price[t] = price;
            self.sell_frac[t] = frac;
        }
    }

    pub fn len(&self) -> usize {
        self.buy_price.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buy_price.is_empty()
    }
}

/// Runs every parameter set in `params` over `bars` with one set of `actions`.
pub fn run_batch(
    bars: &Bars,
    actions: &Actions,
    params: &[SimParams],
    progress: Option<Progress<'_>>,
) -> Result<BatchOutput, SimError> {
    check_bars(bars)?;
    actions.check_len(bars.len())?;
    for p in params {
        p.validate()?;
    }
    let prepared = PreparedActions::new(actions);
    let total = params.len() as u64;
    let done = AtomicU64::new(0);
    let on_done = |k: u64| {
        let d = done.fetch_add(k, Ordering::Relaxed) + k;
        if let Some(cb) = progress {
            cb(d, total);
        }
    };
    let metrics = run_prepared(bars, &prepared, params, &on_done);
    Ok(BatchOutput {
        metrics,
        bar_evaluations: total * bars.len() as u64,
    })
}

/// Unchecked core used by `run_batch`: inputs must already be validated and `actions` must have
/// one row per bar. `on_done(k)` is called as each block of `k` sets ends.
pub(crate) fn run_prepared(
    bars: &Bars,
    actions: &PreparedActions,
    params: &[SimParams],
    on_done: &(dyn Fn(u64) + Sync),
) -> Vec<Metrics> {
    let jobs: Vec<(usize, usize)> = (0..params.len()).map(|i| (0, i)).collect();
    run_jobs(bars, std::slice::from_ref(actions), params, &jobs, on_done)
}

/// Runs `jobs` = (actions index, params index) pairs, packing up to LANES jobs per block even
/// when they use different actions (a strategy grid with one simulator setting still fills every
/// lane). Results come back in job order.
pub(crate) fn run_jobs(
    bars: &Bars,
    actions: &[PreparedActions],
    params: &[SimParams],
    jobs: &[(usize, usize)],
    on_done: &(dyn Fn(u64) + Sync),
) -> Vec<Metrics> {
    run_jobs_blocks(bars, actions, params, jobs, on_done, 0)
        .into_iter()
        .map(|(m, _)| m)
        .collect()
}

/// One job's metrics and return blocks.
type JobResult = (Metrics, ReturnBlocks);

/// As [`run_jobs`], also returning each job's returns over `s_blocks` blocks (none when 0).
pub(crate) fn run_jobs_blocks(
    bars: &Bars,
    actions: &[PreparedActions],
    params: &[SimParams],
    jobs: &[(usize, usize)],
    on_done: &(dyn Fn(u64) + Sync),
    s_blocks: usize,
) -> Vec<JobResult> {
    let n = bars.len();
    let job_params: Vec<&SimParams> = jobs.iter().map(|&(_, p)| &params[p]).collect();
    let blocks = plan_blocks(&job_params, n);
    let results: Vec<(Vec<usize>, Vec<JobResult>)> = blocks
        .into_par_iter()
        .map(|idx| {
            let acts: Vec<&PreparedActions> = idx.iter().map(|&j| &actions[jobs[j].0]).collect();
            let ps: Vec<&SimParams> = idx.iter().map(|&j| job_params[j]).collect();
            let m = run_block(bars, &acts, &ps, s_blocks);
            BAR_EVALUATIONS.fetch_add((idx.len() * n) as u64, Ordering::Relaxed);
            on_done(idx.len() as u64);
            (idx, m)
        })
        .collect();
    let mut out: Vec<Option<JobResult>> = vec![None; jobs.len()];
    for (idx, ms) in results {
        for (i, m) in idx.into_iter().zip(ms) {
            out[i] = Some(m);
        }
    }
    // Every index is in exactly one block, so every slot is filled.
    out.into_iter().flatten().collect()
}

/// Feature profile of a block, a compile-time bit set: code for unused features is compiled out.
const HOLD: u8 = 1; // some lane has max_hold_bars
const RT: u8 = 2; // some lane has intrabar round trips
const FAST: u8 = 4; // no lane uses hold, cycles, volume cap, min gap or one-side; one fill rule kind
const TOUCH: u8 = 8; // (FAST only) every lane uses the touch rule; otherwise every lane crosses

fn profile(p: &SimParams) -> u8 {
    let fast = p.max_hold_bars.is_none()
        && p.max_round_trips_per_bar == 0
        && p.max_volume_fraction.is_none()
        && p.min_gap_pct.is_none()
        && !p.one_side_per_bar;
    if fast {
        FAST | if p.fill_rule.thresholds().touch {
            TOUCH
        } else {
            0
        }
    } else {
        (if p.max_hold_bars.is_some() { HOLD } else { 0 })
            | (if p.max_round_trips_per_bar > 0 { RT } else { 0 })
    }
}

/// Groups set indices into blocks of at most LANES that share everything the bar loop's
/// structure depends on: lag, window start and profile.
fn plan_blocks(params: &[&SimParams], n: usize) -> Vec<Vec<usize>> {
    let key = |p: &SimParams| {
        (
            p.decision_lag,
            p.window_bars().map(|k| window_start(n, k)),
            profile(p),
        )
    };
    let mut order: Vec<usize> = (0..params.len()).collect();
    order.sort_by_key(|&i| key(params[i]));
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match blocks.last_mut() {
            Some(b) if b.len() < LANES && key(params[b[0]]) == key(params[i]) => b.push(i),
            _ => blocks.push(vec![i]),
        }
    }
    blocks
}

type L = [f64; LANES];

/// Per-lane constants, precomputed so the bar loop only multiplies and compares.
struct LaneParams {
    intensity: L,
    buy_adj: L,  // 1 − offset
    sell_adj: L, // 1 + offset
    gap: L,      // 1 + min_gap, or 0 (max(sell, buy × 0) leaves the sell unchanged)
    buy_thr: L,  // 1 − buffer (cross) or 1 (touch)
    sell_thr: L, // 1 + buffer (cross) or 1 (touch)
    touch: L,    // 1 = touch: also fill when low == threshold
    maker: L,
    maker_cost: L, // 1 + maker
    taker: L,
    capped: L,
    vol_frac: L,
    hold: L, // max hold bars or +inf
    one_side: L,
    max_rt: L,
}

impl LaneParams {
    fn new(ps: &[&SimParams; LANES]) -> Self {
        let f = |g: &dyn Fn(&SimParams) -> f64| -> L { std::array::from_fn(|l| g(ps[l])) };
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        LaneParams {
            intensity: f(&|p| p.intensity),
            buy_adj: f(&|p| 1.0 - p.price_offset_pct),
            sell_adj: f(&|p| 1.0 + p.price_offset_pct),
            gap: f(&|p| p.min_gap_pct.map_or(0.0, |g| 1.0 + g)),
            // The one fill model (`model::fill`): multipliers on the limit, equality for touch.
            buy_thr: f(&|p| p.fill_rule.thresholds().buy_mult),
            sell_thr: f(&|p| p.fill_rule.thresholds().sell_mult),
            touch: f(&|p| flag(p.fill_rule.thresholds().touch)),
            maker: f(&|p| p.maker_fee),
            maker_cost: f(&|p| 1.0 + p.maker_fee),
            taker: f(&|p| p.taker_fee),
            capped: f(&|p| flag(p.max_volume_fraction.is_some())),
            vol_frac: f(&|p| p.max_volume_fraction.unwrap_or(0.0)),
            hold: f(&|p| p.max_hold_bars.map_or(f64::INFINITY, |h| h as f64)),
            one_side: f(&|p| flag(p.one_side_per_bar)),
            max_rt: f(&|p| p.max_round_trips_per_bar as f64),
        }
    }
}

/// `CurveStats` as a structure of arrays. `bars` is the same for every lane and is set once at
/// the end (it only counts pushes), which keeps it out of the bar loop.
#[derive(Clone, Copy)]
struct CurveLanes {
    start: L,
    prev: L,
    sum_r: L,
    sum_r2: L,
    sum_down2: L,
    peak: L,
    underwater: L,
    max_underwater: L,
    dd_trough: L,
    dd_peak: L,
    sum_equity: L,
}

impl CurveLanes {
    fn new(start: L) -> Self {
        let s = CurveStats::new(0.0);
        CurveLanes {
            start,
            prev: start,
            sum_r: [s.sum_r; LANES],
            sum_r2: [s.sum_r2; LANES],
            sum_down2: [s.sum_down2; LANES],
            peak: start,
            underwater: [s.underwater; LANES],
            max_underwater: [s.max_underwater; LANES],
            dd_trough: [s.dd_trough; LANES],
            dd_peak: [s.dd_peak; LANES],
            sum_equity: [s.sum_equity; LANES],
        }
    }

    #[inline(always)]
    fn get(&self, l: usize, bars: f64) -> CurveStats {
        CurveStats {
            start: self.start[l],
            prev: self.prev[l],
            bars,
            sum_r: self.sum_r[l],
            sum_r2: self.sum_r2[l],
            sum_down2: self.sum_down2[l],
            peak: self.peak[l],
            underwater: self.underwater[l],
            max_underwater: self.max_underwater[l],
            dd_trough: self.dd_trough[l],
            dd_peak: self.dd_peak[l],
            sum_equity: self.sum_equity[l],
        }
    }

    #[inline(always)]
    fn set(&mut self, l: usize, s: CurveStats) {
        self.prev[l] = s.prev;
        self.sum_r[l] = s.sum_r;
        self.sum_r2[l] = s.sum_r2;
        self.sum_down2[l] = s.sum_down2;
        self.peak[l] = s.peak;
        self.underwater[l] = s.underwater;
        self.max_underwater[l] = s.max_underwater;
        self.dd_trough[l] = s.dd_trough;
        self.dd_peak[l] = s.dd_peak;
        self.sum_equity[l] = s.sum_equity;
    }
}

/// `TradeStats` as a structure of arrays.
#[derive(Clone, Copy, Default)]
struct TradeLanes {
    trades: L,
    round_trips: L,
    wins: L,
    notional: L,
    fees: L,
    trip_flow: L,
    exposure_bars: L,
}

impl TradeLanes {
    #[inline(always)]
    fn get(&self, l: usize) -> TradeStats {
        TradeStats {
            trades: self.trades[l],
            round_trips: self.round_trips[l],
            wins: self.wins[l],
            notional: self.notional[l],
            fees: self.fees[l],
            trip_flow: self.trip_flow[l],
            exposure_bars: self.exposure_bars[l],
        }
    }

    #[inline(always)]
    fn set(&mut self, l: usize, t: TradeStats) {
        self.trades[l] = t.trades;
        self.round_trips[l] = t.round_trips;
        self.wins[l] = t.wins;
        self.notional[l] = t.notional;
        self.fees[l] = t.fees;
        self.trip_flow[l] = t.trip_flow;
        self.exposure_bars[l] = t.exposure_bars;
    }
}

/// Mutable state of one block.
#[derive(Clone, Copy)]
struct BlockState {
    cash: L,
    inv: L,
    opened: L,
    trades: TradeLanes,
    curve: CurveLanes,
    window: CurveLanes,
}

/// Column slices of the bars, cut to the same length so indexing needs no further checks.
struct Cols<'a> {
    open: &'a [f64],
    high: &'a [f64],
    low: &'a [f64],
    close: &'a [f64],
    volume: &'a [f64],
    // Per-lane action columns: lanes may run different strategies (same slice when shared).
    buy_price: [&'a [f64]; LANES],
    sell_price: [&'a [f64]; LANES],
    buy_frac: [&'a [f64]; LANES],
    sell_frac: [&'a [f64]; LANES],
}

fn run_block(
    bars: &Bars,
    actions: &[&PreparedActions],
    params: &[&SimParams],
    s_blocks: usize,
) -> Vec<JobResult> {
    // Pad a partial block with copies of its last lane; padded lanes are discarded.
    let real = params.len();
    let ps: [&SimParams; LANES] = std::array::from_fn(|l| params[l.min(real - 1)]);
    let acts: [&PreparedActions; LANES] = std::array::from_fn(|l| actions[l.min(real - 1)]);
    // One action set for every lane (run_batch): broadcast one row per bar instead of gathering.
    let shared = acts.iter().all(|a| std::ptr::eq(*a, acts[0]));
    let lp = LaneParams::new(&ps);
    let p0 = ps[0];
    let n = bars.len();
    let cols = Cols {
        open: &bars.open[..n],
        high: &bars.high[..n],
        low: &bars.low[..n],
        close: &bars.close[..n],
        volume: &bars.volume[..n],
        buy_price: acts.map(|a| &a.buy_price[..n]),
        sell_price: acts.map(|a| &a.sell_price[..n]),
        buy_frac: acts.map(|a| &a.buy_frac[..n]),
        sell_frac: acts.map(|a| &a.sell_frac[..n]),
    };
    let cash: L = std::array::from_fn(|l| ps[l].starting_cash);
    let mut st = BlockState {
        cash,
        inv: [0.0; LANES],
        opened: [0.0; LANES],
        trades: TradeLanes::default(),
        curve: CurveLanes::new(cash),
        window: CurveLanes::new(cash),
    };
    let lag = p0.decision_lag.min(n);
    let win = p0.window_bars().map(|k| window_start(n, k));
    let prof = profile(p0);

    // Segments of the bar range with a fixed shape: before/after the lag, before/in the window.
    let mut cuts = vec![0, lag, n];
    if let Some(w) = win {
        cuts.push(w);
    }
    // Return blocks end at segment ends too: their running sums are read there.
    let bounds = if s_blocks > 0 {
        block_bounds(n, s_blocks)
    } else {
        Vec::new()
    };
    cuts.extend_from_slice(&bounds);
    cuts.sort_unstable();
    cuts.dedup();
    // (bar, per-lane running sum of r, of r^2) at each cut, starting from nothing at bar 0.
    let mut sums: Vec<(usize, L, L)> = vec![(0, [0.0; LANES], [0.0; LANES])];
    for seg in cuts.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        if win == Some(a) {
            st.window = CurveLanes::new(st.curve.prev);
        }
        let shape = Shape {
            a,
            b,
            lag,
            act: a >= lag,
            win: win.is_some_and(|w| a >= w),
        };
        if shared {
            dispatch::<true>(&cols, &shape, &lp, &mut st, prof);
        } else {
            dispatch::<false>(&cols, &shape, &lp, &mut st, prof);
        }
        if s_blocks > 0 {
            sums.push((b, st.curve.sum_r, st.curve.sum_r2));
        }
    }
    let at = |bar: usize| {
        sums.iter()
            .find(|x| x.0 == bar)
            .map_or((&[0.0; LANES], &[0.0; LANES]), |x| (&x.1, &x.2))
    };
    let blocks_of = |l: usize| -> ReturnBlocks {
        let mut rb = ReturnBlocks::default();
        for k in 0..s_blocks {
            let (a, b) = (bounds[k], bounds[k + 1]);
            let ((ra, qa), (rb_, qb)) = (at(a), at(b));
            rb.n.push((b - a) as f64);
            rb.sum.push(rb_[l] - ra[l]);
            rb.sumsq.push(qb[l] - qa[l]);
        }
        rb
    };

    let ppy = p0.periods_per_year();
    (0..real)
        .map(|l| {
            let w = win.map(|w| st.window.get(l, (n - w) as f64));
            (
                Metrics::from_stats(
                    &st.curve.get(l, n as f64),
                    &st.trades.get(l),
                    w.as_ref(),
                    ppy,
                ),
                blocks_of(l),
            )
        })
        .collect()
}

/// A run of bars `a..b` with fixed structure: `act` = bars have an action row (`i >= lag`),
/// `win` = inside the trailing window.
struct Shape {
    a: usize,
    b: usize,
    lag: usize,
    act: bool,
    win: bool,
}

/// Picks the monomorphised segment loop for the block's profile and shape, and the CPU's
/// vector width.
fn dispatch<const SHARED: bool>(
    cols: &Cols,
    sh: &Shape,
    lp: &LaneParams,
    st: &mut BlockState,
    prof: u8,
) {
    macro_rules! arms {
        ($($p:expr),*) => {
            match (prof, sh.act, sh.win) {
                $(
                    (p, false, false) if p == $p => simd_segment::<{ $p }, false, false, SHARED>(cols, sh, lp, st),
                    (p, false, true) if p == $p => simd_segment::<{ $p }, false, true, SHARED>(cols, sh, lp, st),
                    (p, true, false) if p == $p => simd_segment::<{ $p }, true, false, SHARED>(cols, sh, lp, st),
                    (p, true, true) if p == $p => simd_segment::<{ $p }, true, true, SHARED>(cols, sh, lp, st),
                )*
                // `profile` only produces the listed values.
                _ => simd_segment::<{ HOLD | RT }, true, true, SHARED>(cols, sh, lp, st),
            }
        };
    }
    arms!(0, HOLD, RT, HOLD | RT, FAST, FAST | TOUCH)
}

#[inline(always)]
fn simd_segment<const P: u8, const ACT: bool, const WIN: bool, const SHARED: bool>(
    cols: &Cols,
    sh: &Shape,
    lp: &LaneParams,
    st: &mut BlockState,
) {
    #[cfg(target_arch = "x86_64")]
    {
        match simd_level() {
            // SAFETY: `simd_level` only reports levels the CPU supports.
            SimdLevel::Avx512 => {
                return unsafe { segment_avx512::<P, ACT, WIN, SHARED>(cols, sh, lp, st) }
            }
            // SAFETY: as above.
            SimdLevel::Avx2 => {
                return unsafe { segment_avx2::<P, ACT, WIN, SHARED>(cols, sh, lp, st) }
            }
            SimdLevel::Scalar => {}
        }
    }
    segment::<P, ACT, WIN, SHARED>(cols, sh, lp, st)
}

/// Instruction set the kernel runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimdLevel {
    Avx512,
    Avx2,
    Scalar,
}

/// The best level the CPU supports, capped by the environment variable `TRADELAB_SIM_SIMD`
/// (`avx512`, `avx2` or `scalar`; used to test every code path on one machine). All levels give
/// bit-identical results.
pub fn simd_level() -> SimdLevel {
    static LEVEL: std::sync::OnceLock<SimdLevel> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        let detected = if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            SimdLevel::Avx512
        } else if std::arch::is_x86_feature_detected!("avx2") {
            SimdLevel::Avx2
        } else {
            SimdLevel::Scalar
        };
        #[cfg(not(target_arch = "x86_64"))]
        let detected = SimdLevel::Scalar;
        let rank = |l: SimdLevel| match l {
            SimdLevel::Avx512 => 2,
            SimdLevel::Avx2 => 1,
            SimdLevel::Scalar => 0,
        };
        let cap = match std::env::var("TRADELAB_SIM_SIMD").as_deref() {
            Ok("avx2") => SimdLevel::Avx2,
            Ok("scalar") => SimdLevel::Scalar,
            _ => SimdLevel::Avx512,
        };
        if rank(cap) < rank(detected) {
            cap
        } else {
            detected
        }
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,avx,sse4.1")]
fn segment_avx512<const P: u8, const ACT: bool, const WIN: bool, const SHARED: bool>(
    cols: &Cols,
    sh: &Shape,
    lp: &LaneParams,
    st: &mut BlockState,
) {
    segment::<P, ACT, WIN, SHARED>(cols, sh, lp, st)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx,sse4.1")]
fn segment_avx2<const P: u8, const ACT: bool, const WIN: bool, const SHARED: bool>(
    cols: &Cols,
    sh: &Shape,
    lp: &LaneParams,
    st: &mut BlockState,
) {
    segment::<P, ACT, WIN, SHARED>(cols, sh, lp, st)
}

/// What `lane_orders` found for one lane this bar, applied by `lane_sell`/`lane_buy` in the same
/// lane pass (masks are 1.0/0.0).
struct Pending {
    sell_price: L,
    sell_qty: L,
    buy_price: L,
    budget: L,
    vol_left: L,
    sell: L,
    buy: L,
}

struct Bar {
    i: f64,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
}

/// The bar loop of one segment: one branch-free pass over the lanes (orders, sell, buy, mark to
/// market), then the curve statistics. No branch depends on the data.
/// (Splitting the first pass further, to skip idle sells/buys, made LLVM stop vectorising it.)
// Lane loops index several structure-of-arrays fields by lane on purpose.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn segment<const P: u8, const ACT: bool, const WIN: bool, const SHARED: bool>(
    cols: &Cols,
    sh: &Shape,
    lp: &LaneParams,
    st: &mut BlockState,
) {
    // Work on a local copy so the state can live in registers for the whole segment.
    let mut s = *st;
    let mut pend = Pending {
        sell_price: [0.0; LANES],
        sell_qty: [0.0; LANES],
        buy_price: [0.0; LANES],
        budget: [0.0; LANES],
        vol_left: [f64::INFINITY; LANES],
        sell: [0.0; LANES],
        buy: [0.0; LANES],
    };
    let mut equity: L = [0.0; LANES];
    // Cut every column to this segment so the loop indexes without bounds checks.
    let (a, len) = (sh.a, sh.b - sh.a);
    let (open, high, low, close, volume) = (
        &cols.open[a..a + len],
        &cols.high[a..a + len],
        &cols.low[a..a + len],
        &cols.close[a..a + len],
        &cols.volume[a..a + len],
    );
    // Action row of bar `a + j` is `a + j - lag` (segments with ACT start at or after the lag).
    let ra = if ACT { a - sh.lag } else { 0 };
    let alen = if ACT { len } else { 0 };
    fn cut<'c, const SHARED: bool>(
        c: &[&'c [f64]; LANES],
        ra: usize,
        n: usize,
    ) -> [&'c [f64]; LANES] {
        std::array::from_fn(|l| &c[if SHARED { 0 } else { l }][ra..ra + n])
    }
    let (abp, asp, abf, asf) = (
        cut::<SHARED>(&cols.buy_price, ra, alen),
        cut::<SHARED>(&cols.sell_price, ra, alen),
        cut::<SHARED>(&cols.buy_frac, ra, alen),
        cut::<SHARED>(&cols.sell_frac, ra, alen),
    );
    for j in 0..len {
        // Gather this bar's action row for every lane first, so the lane loop stays vectorised.
        let (bps, sps, bfrs, sfrs): (L, L, L, L) = if ACT && SHARED {
            (
                [abp[0][j]; LANES],
                [asp[0][j]; LANES],
                [abf[0][j]; LANES],
                [asf[0][j]; LANES],
            )
        } else if ACT {
            (
                std::array::from_fn(|l| abp[l][j]),
                std::array::from_fn(|l| asp[l][j]),
                std::array::from_fn(|l| abf[l][j]),
                std::array::from_fn(|l| asf[l][j]),
            )
        } else {
            (
                [0.0; LANES],
                [f64::INFINITY; LANES],
                [0.0; LANES],
                [0.0; LANES],
            )
        };
        let bar = Bar {
            i: (a + j) as f64,
            o: open[j],
            h: high[j],
            l: low[j],
            c: close[j],
            v: volume[j],
        };
        for l in 0..LANES {
            lane_orders::<P>(
                l, &bar, bps[l], sps[l], bfrs[l], sfrs[l], lp, &mut s, &mut pend,
            );
            lane_sell::<P>(l, lp, &mut s, &mut pend);
            lane_buy::<P>(l, &bar, lp, &mut s, &pend);
            let mut t = s.trades.get(l);
            t.on_bar_close(s.inv[l]);
            s.trades.set(l, t);
            equity[l] = s.cash[l] + s.inv[l] * bar.c;
        }
        for l in 0..LANES {
            let r = crate::metrics::period_return(s.curve.prev[l], equity[l]);
            push_lane::<WIN>(&mut s, l, equity[l], r);
        }
    }
    *st = s;
}

#[inline(always)]
fn push_lane<const WIN: bool>(s: &mut BlockState, l: usize, equity: f64, r: f64) {
    let mut c = s.curve.get(l, 0.0);
    c.push_return(equity, r);
    s.curve.set(l, c);
    if WIN {
        // The window starts from the curve's prev, so its prev stays equal and r applies too.
        let mut w = s.window.get(l, 0.0);
        w.push_return(equity, r);
        s.window.set(l, w);
    }
}

/// One lane, one bar, up to the fills: orders, max-hold close, intrabar cycles. With `lane_sell`
/// and `lane_buy` this is the same arithmetic, in the same order, as `reference::simulate`.
/// In the FAST profile the skipped features are identities: no gap (max(sell, 0) = sell), no
/// volume cap (min(q, +inf) = q), touch thresholds × 1.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn lane_orders<const P: u8>(
    l: usize,
    bar: &Bar,
    bp: f64,
    sp: f64,
    bfr: f64,
    sfr: f64,
    lp: &LaneParams,
    s: &mut BlockState,
    pend: &mut Pending,
) {
    let fast = P & FAST != 0;
    let mut cash = s.cash[l];
    let mut inv = s.inv[l];
    let mut ts = s.trades.get(l);

    let mut buy_frac = fmin(bfr * lp.intensity[l], 1.0);
    let mut sell_frac = crate::model::flat::snap_sell_frac(fmin(sfr * lp.intensity[l], 1.0));
    let buy_limit = bp * lp.buy_adj[l];
    let sell_limit = if fast {
        sp * lp.sell_adj[l]
    } else {
        fmax(sp * lp.sell_adj[l], buy_limit * lp.gap[l])
    };
    if !fast && lp.one_side[l] > 0.0 && buy_frac > 0.0 && sell_frac > 0.0 {
        if buy_frac > sell_frac {
            sell_frac = 0.0;
        } else {
            buy_frac = 0.0;
        }
    }

    if P & HOLD != 0 {
        let forced = inv > 0.0 && bar.i - s.opened[l] >= lp.hold[l];
        let gross = inv * bar.o;
        let fee = gross * lp.taker[l];
        let net = gross - fee;
        cash = if forced { cash + net } else { cash };
        ts.on_sell_if(forced, gross, fee, net, true);
        inv = if forced { 0.0 } else { inv };
        buy_frac = if forced { 0.0 } else { buy_frac };
        sell_frac = if forced { 0.0 } else { sell_frac };
    }

    let (buy_reached, sell_reached) = if fast && P & TOUCH != 0 {
        (bar.l <= buy_limit, bar.h >= sell_limit)
    } else if fast {
        (
            bar.l < buy_limit * lp.buy_thr[l],
            bar.h > sell_limit * lp.sell_thr[l],
        )
    } else {
        let touch = lp.touch[l] > 0.0;
        let buy_thr = buy_limit * lp.buy_thr[l];
        let sell_thr = sell_limit * lp.sell_thr[l];
        (
            bar.l < buy_thr || (touch && bar.l == buy_thr),
            bar.h > sell_thr || (touch && bar.h == sell_thr),
        )
    };
    let mut vol_left = if !fast && lp.capped[l] > 0.0 {
        lp.vol_frac[l] * bar.v
    } else {
        f64::INFINITY
    };

    if P & RT != 0
        && lp.max_rt[l] > 0.0
        && buy_reached
        && sell_reached
        && buy_frac > 0.0
        && sell_frac > 0.0
        && sell_limit > buy_limit
    {
        let cy = intrabar_cycles(
            lp.max_rt[l],
            cash,
            buy_limit,
            sell_limit,
            buy_frac,
            sell_frac,
            bar.h,
            bar.l,
            lp.maker[l],
            vol_left,
        );
        let qty = cy.qty;
        if qty > 0.0 {
            cash += cy.buy_cash;
            cash += cy.sell_cash;
            buy_frac -= cy.frac;
            sell_frac -= cy.frac;
            vol_left -= 2.0 * qty;
            let buy_fee = qty * buy_limit * lp.maker[l];
            let sell_fee = qty * sell_limit * lp.maker[l];
            ts.on_cycles(
                qty * buy_limit + qty * sell_limit,
                buy_fee + sell_fee,
                cy.buy_cash + cy.sell_cash,
            );
        }
    }

    // The buy spends cash held before this bar's sell; dust budgets are skipped as in the
    // reference.
    let budget = buy_frac * cash;
    let sell_qty = if fast {
        sell_frac * inv
    } else {
        fmin(sell_frac * inv, vol_left)
    };
    // FAST lanes are long-only with fractions in [0, 1], so inventory and cash stay >= 0 and
    // `sell_qty > 0` implies `sell_frac > 0` (`budget >= DUST_BUDGET` implies `buy_frac > 0`):
    // the fraction checks are then redundant and skipped.
    pend.sell[l] = if sell_reached && (fast || sell_frac > 0.0) && sell_qty > 0.0 {
        1.0
    } else {
        0.0
    };
    pend.sell_price[l] = fmax(bar.o, sell_limit);
    pend.sell_qty[l] = sell_qty;
    pend.buy[l] = if buy_reached && (fast || buy_frac > 0.0) && budget >= DUST_BUDGET {
        1.0
    } else {
        0.0
    };
    pend.buy_price[l] = fmin(bar.o, buy_limit);
    pend.budget[l] = budget;
    if !fast {
        pend.vol_left[l] = vol_left;
    }
    s.cash[l] = cash;
    s.inv[l] = inv;
    if P & (HOLD | RT) != 0 {
        s.trades.set(l, ts);
    }
}

/// The sell leg of one lane: inventory held at the open only (masked: a no-op when not selling).
#[inline(always)]
fn lane_sell<const P: u8>(l: usize, lp: &LaneParams, s: &mut BlockState, pend: &mut Pending) {
    let mut cash = s.cash[l];
    let mut inv = s.inv[l];
    let mut ts = s.trades.get(l);
    // Masked arithmetic (adds of 0 in lanes that do not sell) keeps this one SIMD pass.
    let m = pend.sell[l] != 0.0;
    let qty = if m { pend.sell_qty[l] } else { 0.0 };
    let gross = qty * pend.sell_price[l];
    let fee = gross * lp.maker[l];
    let net = gross - fee;
    cash = if m { cash + net } else { cash };
    inv = if m { inv - qty } else { inv };
    ts.on_sell_if(m, gross, fee, net, inv == 0.0);
    if P & FAST == 0 {
        pend.vol_left[l] -= qty;
    }
    s.cash[l] = cash;
    s.inv[l] = inv;
    s.trades.set(l, ts);
}

/// The buy leg of one lane (masked). Without a volume cap `wanted <= +inf` always holds, so FAST
/// takes the uncapped branch directly.
#[inline(always)]
fn lane_buy<const P: u8>(l: usize, bar: &Bar, lp: &LaneParams, s: &mut BlockState, pend: &Pending) {
    let mut cash = s.cash[l];
    let mut inv = s.inv[l];
    let mut opened = s.opened[l];
    let mut ts = s.trades.get(l);
    let price = pend.buy_price[l];
    let budget = pend.budget[l];
    let unit_cost = price * lp.maker_cost[l];
    let wanted = budget / unit_cost;
    let (qty, cost) = if P & FAST != 0 {
        (wanted, budget)
    } else {
        let vol_left = pend.vol_left[l];
        if wanted <= vol_left {
            (wanted, budget)
        } else {
            (vol_left, fmin(vol_left * unit_cost, budget))
        }
    };
    // Uncapped, a placed buy always has qty > 0 (dust budget and price bounds), so FAST skips
    // the check and the division stays off the cash update.
    let m = pend.buy[l] != 0.0 && (P & FAST != 0 || qty > 0.0);
    if P & HOLD != 0 && m && inv == 0.0 {
        opened = bar.i;
    }
    let notional = qty * price;
    let fee = notional * lp.maker[l];
    cash = if m { cash - cost } else { cash };
    inv = if m { inv + qty } else { inv };
    ts.on_buy_if(m, notional, fee, cost);
    s.cash[l] = cash;
    s.inv[l] = inv;
    if P & HOLD != 0 {
        s.opened[l] = opened;
    }
    s.trades.set(l, ts);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate;

    fn walk(n: usize) -> Bars {
        let mut b = Bars::with_capacity(n);
        let mut x = 100.0_f64;
        let mut seed = 7_u64;
        for i in 0..n {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            let o = x;
            x *= 1.0 + 0.02 * u;
            let c = x;
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.close.push(c);
            b.high.push(o.max(c) * 1.004);
            b.low.push(o.min(c) * 0.996);
            b.volume.push(50.0 + 10.0 * u);
        }
        b
    }

    /// A 0.3 % band that fills most bars, with a partial buy fraction.
    fn band(bars: &Bars) -> Actions {
        crate::Strategy::Band {
            buy_offset: 0.003,
            sell_offset: 0.003,
            buy_frac: 0.7,
            sell_frac: 1.0,
        }
        .actions(bars)
        .unwrap()
    }

    /// The kernel's return blocks are the reference curve's returns summed block by block.
    #[test]
    fn return_blocks_match_the_reference_curve() {
        for n in [300usize, 37, 10] {
            let bars = walk(n);
            let actions = band(&bars);
            let params: Vec<SimParams> = (0..11)
                .map(|k| SimParams {
                    decision_lag: k % 3,
                    maker_fee: 0.0005 * (k % 4) as f64,
                    last_window_days: (k == 5).then_some(1.0),
                    ..Default::default()
                })
                .collect();
            let prepared = PreparedActions::new(&actions);
            let jobs: Vec<(usize, usize)> = (0..params.len()).map(|i| (0, i)).collect();
            let out = run_jobs_blocks(
                &bars,
                std::slice::from_ref(&prepared),
                &params,
                &jobs,
                &|_| {},
                RETURN_BLOCKS,
            );
            let bounds = block_bounds(n, RETURN_BLOCKS);
            for (p, (m, rb)) in params.iter().zip(&out) {
                let r = simulate(&bars, &actions, p).unwrap();
                assert_eq!(&r.metrics, m);
                let mut prev = p.starting_cash;
                let rets: Vec<f64> = r
                    .equity
                    .iter()
                    .map(|&e| {
                        let x = crate::metrics::period_return(prev, e);
                        prev = e;
                        x
                    })
                    .collect();
                assert_eq!(rb.n.len(), RETURN_BLOCKS);
                for k in 0..RETURN_BLOCKS {
                    let blk = &rets[bounds[k]..bounds[k + 1]];
                    assert_eq!(rb.n[k], blk.len() as f64, "n {n} block {k}");
                    let (s, q): (f64, f64) = (blk.iter().sum(), blk.iter().map(|x| x * x).sum());
                    assert!(
                        (rb.sum[k] - s).abs() <= 1e-12,
                        "n {n} block {k}: {} vs {s}",
                        rb.sum[k]
                    );
                    assert!(
                        (rb.sumsq[k] - q).abs() <= 1e-12,
                        "n {n} block {k}: {} vs {q}",
                        rb.sumsq[k]
                    );
                    // Block k holds bars floor(i S / n) == k, the split ReturnBlocks::of uses.
                    assert!((bounds[k]..bounds[k + 1]).all(|i| i * RETURN_BLOCKS / n == k));
                }
            }
        }
    }

    #[test]
    fn partial_blocks_and_mixed_keys_match_reference() {
        let bars = walk(300);
        let actions = band(&bars);
        let mut params = Vec::new();
        for lag in 0..3 {
            for (k, fee) in [0.0, 0.001, 0.002].into_iter().enumerate() {
                params.push(SimParams {
                    decision_lag: lag,
                    maker_fee: fee,
                    max_hold_bars: (k == 1).then_some(5),
                    last_window_days: (k == 2).then_some(2.0),
                    ..Default::default()
                });
            }
        }
        let out = run_batch(&bars, &actions, &params, None).unwrap();
        assert_eq!(out.bar_evaluations, 9 * 300);
        for (p, m) in params.iter().zip(&out.metrics) {
            assert_eq!(&simulate(&bars, &actions, p).unwrap().metrics, m);
        }
        assert!(total_bar_evaluations() >= 2700);
    }

    #[test]
    fn progress_reaches_total() {
        let bars = walk(50);
        let actions = Actions::empty(50);
        let params = vec![SimParams::default(); 21];
        let last = std::sync::Mutex::new((0, 0));
        let cb = |d: u64, t: u64| {
            let mut g = last.lock().unwrap();
            if d > g.0 {
                *g = (d, t);
            }
        };
        run_batch(&bars, &actions, &params, Some(&cb)).unwrap();
        assert_eq!(*last.lock().unwrap(), (21, 21));
    }
}
