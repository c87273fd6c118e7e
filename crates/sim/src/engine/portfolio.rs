//! Portfolio backtests: N instruments on one clock with shared cash, folded over
//! [`Engine::step`]. The clock is the union of every instrument's bar open times; an instrument
//! without a bar at a timestamp gets no fills there and is marked at its last close.
//!
//! Orders come from an [`OrderSource`]: action rows per instrument ([`ActionOrders`]), a
//! strategy that sees the portfolio state (funding harvest, the selector), or a live loop.
use super::{orders_from_row, BarInput, Engine, Fill, OrderTransform, Orders, State};
use crate::metrics::{curve_stats, Metrics, TradeStats};
use crate::{Actions, SimError};
use serde::{Deserialize, Serialize};
use tradelab_core::time::format_ms;
use tradelab_core::Bars;

/// One instrument's data for a run.
pub struct InstrumentData<'a> {
    pub bars: &'a Bars,
    /// Bar length in ms: every instrument of a portfolio must share it.
    pub interval_ms: i64,
    /// Funding events (ts ms, rate per interval) of a perpetual; must cover its bars.
    pub funding: Option<(&'a [i64], &'a [f64])>,
    /// Mark-price closes aligned to `bars` (same length), for funding.
    pub mark_close: Option<&'a [f64]>,
    /// Whether each bar lies in the instrument's session (None: always, e.g. crypto 24/7).
    pub session: Option<&'a [bool]>,
    /// Whether each bar is its session's last (for end-of-day closes).
    pub session_end: Option<&'a [bool]>,
}

impl<'a> InstrumentData<'a> {
    pub fn new(bars: &'a Bars, interval_ms: i64) -> Self {
        InstrumentData {
            bars,
            interval_ms,
            funding: None,
            mark_close: None,
            session: None,
            session_end: None,
        }
    }
}

/// What an order source sees at one timestamp.
pub struct Decision<'a> {
    /// Clock index and time of the bar the orders will rest on.
    pub step: usize,
    pub ts: i64,
    /// For each instrument, the index of its bar at this timestamp (None: no bar).
    pub bar_index: &'a [Option<usize>],
    pub state: &'a State,
}

/// Produces the orders resting on the next bar. `out` has one slot per instrument, reset to no
/// orders before each call.
pub trait OrderSource {
    fn orders(&mut self, d: &Decision<'_>, out: &mut [Orders]);
}

/// Orders from per-instrument action rows: instrument k's bar `i` gets row `i − lag` of its own
/// actions (lag counted in that instrument's bars), as in the single-asset `simulate`.
pub struct ActionOrders<'a> {
    pub actions: Vec<&'a Actions>,
    pub lag: usize,
    pub transform: OrderTransform,
}

impl OrderSource for ActionOrders<'_> {
    fn orders(&mut self, d: &Decision<'_>, out: &mut [Orders]) {
        for (k, bi) in d.bar_index.iter().enumerate() {
            if let Some(row) = bi.and_then(|i| i.checked_sub(self.lag)) {
                out[k] = orders_from_row(self.actions[k], row, &self.transform);
            }
        }
    }
}

/// Per-instrument results of a portfolio run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentResult {
    pub symbol: String,
    #[ts(type = "number")]
    pub trades: u64,
    #[ts(type = "number")]
    pub round_trips: u64,
    pub win_rate: f64,
    /// Fraction of clock bars that closed holding a position in it.
    pub exposure: f64,
    /// Its cash flows plus the final position at its last close: its contribution to PnL.
    pub pnl: f64,
    pub fees: f64,
    /// Funding received minus paid.
    pub funding: f64,
    pub final_qty: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioResult {
    /// Clock timestamps (bar open times) and equity marked at each close.
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub cash: Vec<f64>,
    pub fills: Vec<Fill>,
    pub metrics: Metrics,
    pub instruments: Vec<InstrumentResult>,
    pub funding: f64,
    pub financing: f64,
    pub liquidations: u32,
    /// Final equity after paying the taker fee to close every position at its last close.
    pub liquidation_value: f64,
    pub final_state: State,
}

/// The merged clock and, per instrument, its bar index at each clock step.
pub struct Clock {
    pub ts: Vec<i64>,
    pub index: Vec<Vec<Option<usize>>>,
}

/// Builds the union clock. Errors: mixed intervals, empty or unsorted bars, mark length.
pub fn clock(engine: &Engine, data: &[InstrumentData<'_>]) -> Result<Clock, SimError> {
    if data.len() != engine.instruments.len() {
        return Err(SimError::LengthMismatch {
            what: "instrument data",
            got: data.len(),
            expected: engine.instruments.len(),
        });
    }
    let iv = engine.params.interval_ms;
    let mut all: Vec<i64> = Vec::new();
    for (d, spec) in data.iter().zip(&engine.instruments) {
        let bad = |reason: String| SimError::Instrument {
            symbol: spec.symbol.clone(),
            reason,
        };
        if d.interval_ms != iv {
            return Err(bad(format!("interval {} ms differs from the portfolio's {} ms: one portfolio needs one interval", d.interval_ms, iv)));
        }
        if d.bars.is_empty() {
            return Err(bad("no bars in the window".into()));
        }
        if d.bars.ts.windows(2).any(|w| w[1] <= w[0]) {
            return Err(bad("bar timestamps are not strictly increasing".into()));
        }
        for (what, len) in [
            ("mark", d.mark_close.map(|m| m.len())),
            ("session", d.session.map(|m| m.len())),
            ("sessionEnd", d.session_end.map(|m| m.len())),
        ] {
            if let Some(len) = len {
                if len != d.bars.len() {
                    return Err(bad(format!(
                        "{what} series has {len} rows, bars have {}",
                        d.bars.len()
                    )));
                }
            }
        }
        all.extend_from_slice(&d.bars.ts);
    }
    all.sort_unstable();
    all.dedup();
    let mut index = vec![Vec::with_capacity(all.len()); data.len()];
    for (k, d) in data.iter().enumerate() {
        let mut j = 0;
        for &t in &all {
            if j < d.bars.len() && d.bars.ts[j] == t {
                index[k].push(Some(j));
                j += 1;
            } else {
                index[k].push(None);
            }
        }
    }
    Ok(Clock { ts: all, index })
}

/// Funding rate settling in each bar: events F with open < F <= open + interval, summed.
/// Errors when the series does not cover the bars (first event more than one funding period
/// after the first bar, or last event more than one period before the last bar's close).
pub fn funding_per_bar(
    symbol: &str,
    bars: &Bars,
    interval_ms: i64,
    ts: &[i64],
    rate: &[f64],
) -> Result<Vec<Option<f64>>, SimError> {
    let bad = |reason: String| SimError::Instrument {
        symbol: symbol.to_string(),
        reason,
    };
    if ts.len() != rate.len() {
        return Err(bad(format!(
            "funding series has {} times and {} rates",
            ts.len(),
            rate.len()
        )));
    }
    if ts.len() < 2 {
        return Err(bad("funding series needs at least 2 events".into()));
    }
    if let Some((k, r)) = rate.iter().enumerate().find(|(_, r)| !r.is_finite()) {
        return Err(bad(format!(
            "funding row {}: rate {r} is not finite",
            k + 1
        )));
    }
    let mut gaps: Vec<i64> = ts.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_unstable();
    let period = gaps[gaps.len() / 2];
    let (first, last) = (bars.ts[0], bars.ts[bars.len() - 1] + interval_ms);
    if ts[0] > first + period || ts[ts.len() - 1] < last - period {
        return Err(bad(format!(
            "funding series covers {} .. {} but the bars run {} .. {}: download or import funding for the whole window",
            format_ms(ts[0]),
            format_ms(ts[ts.len() - 1]),
            format_ms(first),
            format_ms(last)
        )));
    }
    let mut out = vec![None; bars.len()];
    let mut j = ts.partition_point(|&f| f <= first);
    for (i, &o) in bars.ts.iter().enumerate() {
        let mut sum: Option<f64> = None;
        while j < ts.len() && ts[j] <= o + interval_ms {
            if ts[j] > o {
                sum = Some(sum.unwrap_or(0.0) + rate[j]);
            }
            j += 1;
        }
        out[i] = sum;
    }
    Ok(out)
}

/// A portfolio run advanced one timestamp at a time: [`Stepper::decision`] says what the next
/// bar's orders may see, [`Stepper::apply`] fills them with [`Engine::step`]. `run_portfolio`
/// drives it with an [`OrderSource`]; a selector written in TypeScript drives it from outside,
/// through the same two calls. The data is passed to each call (the stepper keeps no borrow).
pub struct Stepper {
    clk: Clock,
    funding: Vec<Option<Vec<Option<f64>>>>,
    st: State,
    equity: Vec<f64>,
    cash: Vec<f64>,
    fills: Vec<Fill>,
    bars_now: Vec<Option<BarInput>>,
    bar_index: Vec<Option<usize>>,
    exposed: f64,
    step: usize,
}

impl Stepper {
    /// Builds the union clock and each perpetual's funding per bar.
    pub fn new(engine: &Engine, data: &[InstrumentData<'_>]) -> Result<Stepper, SimError> {
        let clk = clock(engine, data)?;
        let n = data.len();
        let mut funding: Vec<Option<Vec<Option<f64>>>> = Vec::with_capacity(n);
        for (d, spec) in data.iter().zip(&engine.instruments) {
            funding.push(match d.funding {
                Some((ts, rate)) => Some(funding_per_bar(
                    &spec.symbol,
                    d.bars,
                    d.interval_ms,
                    ts,
                    rate,
                )?),
                None if spec.kind == super::InstrumentKind::Perpetual => {
                    return Err(SimError::Instrument {
                        symbol: spec.symbol.clone(),
                        reason: "a perpetual needs its funding series".into(),
                    });
                }
                None => None,
            });
        }
        let steps = clk.ts.len();
        Ok(Stepper {
            clk,
            funding,
            st: engine.initial_state(),
            equity: Vec::with_capacity(steps),
            cash: Vec::with_capacity(steps),
            fills: Vec::new(),
            bars_now: vec![None; n],
            bar_index: vec![None; n],
            exposed: 0.0,
            step: 0,
        })
    }

    /// The state after the last applied step (before any: the starting state).
    pub fn state(&self) -> &State {
        &self.st
    }

    /// Each instrument's bar index at the timestamp last prepared by [`Stepper::decision`]
    /// (None: no bar there).
    pub fn bar_index(&self) -> &[Option<usize>] {
        &self.bar_index
    }

    /// Prepares the next timestamp and returns what its orders may be decided from (None when
    /// the clock is done). Call [`Stepper::apply`] before the next `decision`.
    pub fn decision(&mut self, data: &[InstrumentData<'_>]) -> Option<Decision<'_>> {
        let s = self.step;
        if s >= self.clk.ts.len() {
            return None;
        }
        for (k, d) in data.iter().enumerate() {
            self.bar_index[k] = self.clk.index[k][s];
            self.bars_now[k] = self.bar_index[k].map(|i| {
                let b = d.bars;
                let mut x = BarInput::new(
                    b.ts[i],
                    b.open[i],
                    b.high[i],
                    b.low[i],
                    b.close[i],
                    b.volume[i],
                );
                x.tradable = d.session.is_none_or(|m| m[i]);
                x.session_end = d.session_end.is_some_and(|m| m[i]);
                x.funding_rate = self.funding[k].as_ref().and_then(|f| f[i]);
                x.mark = d.mark_close.map(|m| m[i]);
                x
            });
        }
        Some(Decision {
            step: s,
            ts: self.clk.ts[s],
            bar_index: &self.bar_index,
            state: &self.st,
        })
    }

    /// Fills `orders` on the timestamp prepared by the last [`Stepper::decision`].
    pub fn apply(&mut self, engine: &Engine, orders: &[Orders]) -> Result<(), SimError> {
        engine.check_step(&self.bars_now, orders)?;
        engine.step(&mut self.st, &self.bars_now, orders, &mut self.fills);
        self.equity.push(self.st.equity());
        self.cash.push(self.st.cash);
        if self.st.positions.iter().any(|p| p.qty != 0.0) {
            self.exposed += 1.0;
        }
        self.step += 1;
        Ok(())
    }

    /// The result of the steps applied so far.
    pub fn finish(self, engine: &Engine) -> PortfolioResult {
        let Stepper {
            clk,
            st,
            equity,
            cash,
            fills,
            exposed,
            step,
            ..
        } = self;
        let steps = step;
        let curve = curve_stats(engine.params.starting_cash, &equity);
        let mut total = TradeStats::default();
        for t in &st.stats {
            total.trades += t.trades;
            total.round_trips += t.round_trips;
            total.wins += t.wins;
            total.notional += t.notional;
            total.fees += t.fees;
        }
        // Exposure of the portfolio: bars that closed holding anything.
        total.exposure_bars = exposed;
        let ppy = engine
            .params
            .periods_per_year
            .unwrap_or(crate::model::financing::MS_PER_YEAR / engine.params.interval_ms as f64);
        let metrics = Metrics::from_stats(&curve, &total, None, ppy);
        let steps_f = steps as f64;
        let instruments = engine
            .instruments
            .iter()
            .enumerate()
            .map(|(k, spec)| {
                let pos = &st.positions[k];
                let t = &st.stats[k];
                InstrumentResult {
                    symbol: spec.symbol.clone(),
                    trades: t.trades as u64,
                    round_trips: t.round_trips as u64,
                    win_rate: t.win_rate(),
                    exposure: if steps > 0 {
                        t.exposure_bars / steps_f
                    } else {
                        0.0
                    },
                    pnl: pos.cash_flow + pos.qty * pos.mark,
                    fees: pos.fees,
                    funding: pos.funding,
                    final_qty: pos.qty,
                }
            })
            .collect();
        let mut liquidation_value = st.cash;
        for (k, pos) in st.positions.iter().enumerate() {
            let taker = engine.instruments[k].fees.taker;
            liquidation_value += pos.qty * pos.mark - (pos.qty * pos.mark).abs() * taker;
        }
        let mut ts = clk.ts;
        ts.truncate(steps);
        PortfolioResult {
            ts,
            equity,
            cash,
            fills,
            metrics,
            instruments,
            funding: st.funding,
            financing: st.financing,
            liquidations: st.liquidations,
            liquidation_value,
            final_state: st,
        }
    }
}

/// Runs a portfolio: folds `engine.step` over the union clock, orders from `source`.
pub fn run_portfolio(
    engine: &Engine,
    data: &[InstrumentData<'_>],
    source: &mut dyn OrderSource,
) -> Result<PortfolioResult, SimError> {
    let mut stepper = Stepper::new(engine, data)?;
    let mut orders = vec![Orders::default(); data.len()];
    while let Some(d) = stepper.decision(data) {
        orders.iter_mut().for_each(|o| *o = Orders::default());
        source.orders(&d, &mut orders);
        stepper.apply(engine, &orders)?;
    }
    Ok(stepper.finish(engine))
}
