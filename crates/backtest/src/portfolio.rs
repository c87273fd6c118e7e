//! Shared-cash portfolios: one strategy on N symbols, one cash balance, folded over the engine's
//! `step` (`tradelab_sim::engine::run_portfolio`). At most `maxPositions` positions are open at
//! once; an entry takes `1 / free slots` of the cash held at the open (equal-weight slots, as
//! freqtrade's `stake_amount: unlimited`), and an open position is never added to.
use crate::error::{BacktestError, Result};
use crate::load::{self, Window};
use crate::single::window_params;
use serde::{Deserialize, Serialize};
use tradelab_calendar::Calendar;
use tradelab_core::Bars;
use tradelab_sim::engine::orders::Size;
use tradelab_sim::engine::portfolio::{
    run_portfolio, ActionOrders, Decision, InstrumentData, InstrumentResult, OrderSource,
    PortfolioResult,
};
use tradelab_sim::{Actions, Engine, Metrics, Orders, SimLabel, SimParams, Strategy};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortfolioRequest {
    #[serde(flatten)]
    pub window: Window,
    /// Instruments, processed in this order within a bar (after all sells).
    pub symbols: Vec<String>,
    pub strategy: Strategy,
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub params: Option<SimParams>,
    /// At most this many open positions (default: one per symbol).
    #[serde(default)]
    #[ts(type = "number | null", optional)]
    pub max_positions: Option<usize>,
    /// Close stock positions at the close of each session's last bar (taker fee).
    #[serde(default)]
    #[ts(optional)]
    pub end_of_day_close: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PortfolioReport {
    pub label: SimLabel,
    pub params: SimParams,
    pub strategy: Strategy,
    pub strategy_label: String,
    pub symbols: Vec<String>,
    /// Each symbol's calendar (`24/7`, `NYSE regular hours`).
    pub calendars: Vec<String>,
    pub periods: String,
    #[ts(type = "number")]
    pub max_positions: u64,
    pub metrics: Metrics,
    pub instruments: Vec<InstrumentResult>,
    pub funding: f64,
    pub financing: f64,
    pub liquidations: u32,
    pub final_cash: f64,
    /// End equity after paying the taker fee to close every position at its last close.
    pub liquidation_value: f64,
    /// `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
    pub data_hash: String,
    /// The named split run on, if any (`test (burned)` when the test lock saw it before).
    pub split: Option<crate::load::SplitInfo>,
    /// Clock steps (the union of every symbol's bar times).
    #[ts(type = "number")]
    pub steps: u64,
    /// Bars summed over the symbols.
    #[ts(type = "number")]
    pub bar_rows: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
}

/// Entries only into free slots; no adds to open positions.
pub struct Slots<S> {
    pub inner: S,
    pub max_positions: usize,
}

impl<S: OrderSource> OrderSource for Slots<S> {
    fn orders(&mut self, d: &Decision<'_>, out: &mut [Orders]) {
        self.inner.orders(d, out);
        let held = d.state.positions.iter().filter(|p| p.qty != 0.0).count();
        let free = self.max_positions.saturating_sub(held);
        let mut entries = 0;
        for (k, o) in out.iter_mut().enumerate() {
            if d.state.positions[k].qty != 0.0 {
                o.buy = None;
                continue;
            }
            let Some(buy) = o.buy.as_mut() else { continue };
            let Size::Frac(f) = buy.size else { continue };
            if f <= 0.0 {
                continue;
            }
            if entries >= free {
                o.buy = None;
                continue;
            }
            buy.size = Size::Frac(f / free as f64);
            entries += 1;
        }
    }
}

struct Loaded {
    symbols: Vec<tradelab_core::Symbol>,
    bars: Vec<Bars>,
    calendars: Vec<Calendar>,
}

fn load_all(w: &Window, symbols: &[String]) -> Result<Loaded> {
    if symbols.is_empty() {
        return Err(BacktestError::input("symbols", "give at least one symbol"));
    }
    let mut out = Loaded {
        symbols: Vec::new(),
        bars: Vec::new(),
        calendars: Vec::new(),
    };
    for s in symbols {
        let (sym, bars) = load::bars(w, s)?;
        if out.symbols.contains(&sym) {
            return Err(BacktestError::input(
                "symbols",
                format!("{sym} is listed twice"),
            ));
        }
        out.calendars.push(Calendar::for_symbol(&sym)?);
        out.symbols.push(sym);
        out.bars.push(bars);
    }
    Ok(out)
}

/// The engine's view of each symbol's bars (stocks: with their session-end marks).
pub(crate) fn instrument_data<'a>(
    bars: &'a [Bars],
    session_ends: &'a [Option<Vec<bool>>],
    interval_ms: i64,
) -> Vec<InstrumentData<'a>> {
    bars.iter()
        .zip(session_ends)
        .map(|(b, last)| {
            let mut d = InstrumentData::new(b, interval_ms);
            d.session_end = last.as_deref();
            d
        })
        .collect()
}

/// Keeps only the bars inside the instrument's session. A store may hold extended-hours bars of
/// a stock whose calendar is regular hours: they are neither traded nor marked, so the clock (and
/// with it P, the periods per year) counts session bars only, as the calendar's P does.
pub(crate) fn session_bars(cal: Calendar, bars: Bars, iv: i64) -> Bars {
    let mask = cal.session_mask(&bars.ts, iv);
    if mask.iter().all(|m| *m) {
        return bars;
    }
    let mut out = Bars::with_capacity(bars.len());
    for (i, _) in mask.iter().enumerate().filter(|(_, m)| **m) {
        out.push_from(&bars, i);
    }
    out
}

/// Stored bars of a portfolio, loaded and session-filtered once (a sweep runs many parameter
/// sets on them).
pub struct Prepared {
    symbols: Vec<tradelab_core::Symbol>,
    bars: Vec<Bars>,
    calendars: Vec<Calendar>,
    /// Per instrument: whether each bar is its session's last, None for 24/7.
    session_ends: Vec<Option<Vec<bool>>>,
    interval_ms: i64,
    /// The calendar whose P the portfolio uses: the widest (the union clock ticks on every bar
    /// of any symbol).
    widest: Calendar,
    pub data_hash: String,
    pub split: Option<crate::load::SplitInfo>,
}

impl Prepared {
    /// `command` names the caller in the test lock.
    pub fn load(window: &Window, symbols: &[String], command: &str) -> Result<Prepared> {
        let names: Vec<&str> = symbols.iter().map(String::as_str).collect();
        let (resolved, split) = window.resolve(&names, command)?;
        let window = &resolved;
        let mut data = load_all(window, symbols)?;
        let iv = window.interval()?.ms();
        for (k, cal) in data.calendars.iter().enumerate() {
            if *cal != Calendar::Always {
                let bars = std::mem::take(&mut data.bars[k]);
                data.bars[k] = session_bars(*cal, bars, iv);
                if data.bars[k].is_empty() {
                    return Err(BacktestError::input(
                        "window",
                        format!(
                            "no {} bars inside its session ({})",
                            data.symbols[k],
                            cal.label()
                        ),
                    ));
                }
            }
        }
        let widest = data
            .calendars
            .iter()
            .copied()
            .max_by(|a, b| a.periods_per_year(iv).total_cmp(&b.periods_per_year(iv)))
            .unwrap_or(Calendar::Always);
        // Only session bars are left, so no fill mask is needed: just each session's last bar.
        let session_ends = data
            .calendars
            .iter()
            .zip(&data.bars)
            .map(|(cal, bars)| {
                (*cal != Calendar::Always).then(|| cal.session_last_mask(&bars.ts, iv))
            })
            .collect();
        Ok(Prepared {
            data_hash: load::data_hash(window, &data.symbols)?,
            symbols: data.symbols,
            bars: data.bars,
            calendars: data.calendars,
            session_ends,
            interval_ms: iv,
            widest,
            split,
        })
    }

    pub fn symbols(&self) -> usize {
        self.symbols.len()
    }

    /// The union clock: (steps, first, last bar open time).
    pub fn clock_span(&self) -> (u64, i64, i64) {
        let mut ts: Vec<i64> = self
            .bars
            .iter()
            .flat_map(|b| b.ts.iter().copied())
            .collect();
        ts.sort_unstable();
        ts.dedup();
        (
            ts.len() as u64,
            ts.first().copied().unwrap_or(0),
            ts.last().copied().unwrap_or(0),
        )
    }

    /// Bar rows over all symbols.
    pub fn bar_rows(&self) -> u64 {
        self.bars.iter().map(|b| b.len() as u64).sum()
    }

    /// The parameters a run uses (interval and P filled in), and where P comes from.
    pub fn params(&self, params: &SimParams) -> Result<(SimParams, String)> {
        window_params(params, self.widest, self.interval_ms)
    }

    /// One run of `strategy` under `params` (as returned by [`Prepared::params`]).
    pub fn run(
        &self,
        strategy: &Strategy,
        params: SimParams,
        periods: String,
        max_positions: Option<usize>,
        end_of_day_close: bool,
    ) -> Result<(PortfolioReport, PortfolioResult)> {
        let max_positions = max_positions.unwrap_or(self.symbols.len());
        if max_positions == 0 {
            return Err(BacktestError::input("maxPositions", "must be at least 1"));
        }
        let instruments = self
            .symbols
            .iter()
            .zip(&self.calendars)
            .map(|(sym, cal)| {
                let mut spec = params.instrument(sym.as_str());
                spec.end_of_day_close = *cal != Calendar::Always && end_of_day_close;
                spec
            })
            .collect();
        let engine = Engine::new(params.engine_params(), instruments)?;
        let actions: Vec<Actions> = self
            .bars
            .iter()
            .zip(&self.symbols)
            .map(|(b, sym)| {
                strategy
                    .actions(b)
                    .map_err(|e| BacktestError::input(format!("strategy on {sym}"), e.to_string()))
            })
            .collect::<Result<_>>()?;
        let inputs = instrument_data(&self.bars, &self.session_ends, self.interval_ms);
        let mut source = Slots {
            inner: ActionOrders {
                actions: actions.iter().collect(),
                lag: params.decision_lag,
                transform: params.order_transform(),
            },
            max_positions,
        };
        let r = run_portfolio(&engine, &inputs, &mut source)?;
        let report = PortfolioReport {
            label: params.describe(),
            strategy_label: strategy.label(),
            strategy: strategy.clone(),
            params,
            symbols: self.symbols.iter().map(|s| s.to_string()).collect(),
            calendars: self
                .calendars
                .iter()
                .map(|c| c.label().to_string())
                .collect(),
            periods,
            max_positions: max_positions as u64,
            metrics: r.metrics,
            instruments: r.instruments.clone(),
            funding: r.funding,
            financing: r.financing,
            liquidations: r.liquidations,
            final_cash: r.final_state.cash,
            liquidation_value: r.liquidation_value,
            data_hash: self.data_hash.clone(),
            split: self.split.clone(),
            steps: r.ts.len() as u64,
            bar_rows: self.bar_rows(),
            first: r.ts.first().copied().unwrap_or(0),
            last: r.ts.last().copied().unwrap_or(0),
        };
        Ok((report, r))
    }
}

/// Runs the portfolio and returns the engine's full result too (every fill, the final state).
pub fn simulate(req: &PortfolioRequest) -> Result<(PortfolioReport, PortfolioResult)> {
    let prep = Prepared::load(&req.window, &req.symbols, "portfolio backtest")?;
    let (params, periods) = prep.params(&req.params.clone().unwrap_or_default())?;
    prep.run(
        &req.strategy,
        params,
        periods,
        req.max_positions,
        req.end_of_day_close.unwrap_or(false),
    )
}

pub fn run(req: &PortfolioRequest) -> Result<(PortfolioReport, crate::single::Curve)> {
    let (report, r) = simulate(req)?;
    let curve = crate::single::Curve {
        ts: r.ts,
        equity: r.equity,
        close: Vec::new(),
    };
    Ok((report, curve))
}
