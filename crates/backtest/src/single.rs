//! One symbol, one strategy (or precomputed actions): `tradelab_sim::simulate` on stored bars.
use crate::error::{BacktestError, Result};
use crate::load::{self, Window};
use serde::{Deserialize, Serialize};
use tradelab_calendar::Calendar;
use tradelab_core::Bars;
use tradelab_sim::{
    round_trips, simulate, Actions, Metrics, RoundTrip, SimLabel, SimParams, Strategy, Trade,
};

/// A single-asset backtest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SingleRequest {
    #[serde(flatten)]
    pub window: Window,
    pub symbol: String,
    /// A built-in strategy; without it the caller passes [`KeyedActions`].
    #[serde(default)]
    #[ts(optional)]
    pub strategy: Option<Strategy>,
    /// Missing fields take the honest defaults. Without `periodsPerYear`, P comes from the
    /// symbol's calendar (8 760 for 1h crypto, 1 754 for 1h NYSE stocks).
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub params: Option<SimParams>,
}

/// Action rows keyed by the open time of the bar after whose close each was decided.
#[derive(Clone, Copy, Debug)]
pub struct KeyedActions<'a> {
    pub ts: &'a [i64],
    pub buy_price: &'a [f64],
    pub sell_price: &'a [f64],
    pub buy_frac: &'a [f64],
    pub sell_frac: &'a [f64],
}

impl KeyedActions<'_> {
    /// The rows keyed inside `bars_ts`'s first..last bar (rows served over more bars are not part
    /// of the run), as `Actions` aligned to those bars, and how many rows that was.
    pub fn within(
        &self,
        bars_ts: &[i64],
    ) -> std::result::Result<(Actions, usize), tradelab_sim::SimError> {
        let (lo, hi) = (
            bars_ts.first().copied().unwrap_or(i64::MAX),
            bars_ts.last().copied().unwrap_or(i64::MIN),
        );
        let r = self.ts.partition_point(|&t| t < lo)..self.ts.partition_point(|&t| t <= hi);
        let n = r.len();
        let a = Actions::from_keyed(
            bars_ts,
            &self.ts[r.clone()],
            &self.buy_price[r.clone()],
            &self.sell_price[r.clone()],
            &self.buy_frac[r.clone()],
            &self.sell_frac[r],
        )?;
        Ok((a, n))
    }
}

/// What produced the orders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(untagged)]
pub enum StrategyUsed {
    Rule(Strategy),
    Actions {
        kind: ActionsKind,
        #[ts(type = "number")]
        rows: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum ActionsKind {
    Actions,
}

/// The summary of a single-asset backtest (the curve travels separately as arrays).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SingleReport {
    pub label: SimLabel,
    pub params: SimParams,
    pub strategy: StrategyUsed,
    pub strategy_label: String,
    /// Where P comes from, e.g. `P=8760 (24/7, 365 days)`.
    pub periods: String,
    pub metrics: Metrics,
    pub trades: Vec<Trade>,
    /// Hex SHA-256 over the trade list (`tradelab_sim::trade_sha256`): a paper run on the same
    /// bars and parameters reports the same one.
    pub trade_sha256: String,
    /// Flat to flat, by the engine's rule (see `tradelab_sim::trips`).
    pub round_trips: Vec<RoundTrip>,
    pub final_cash: f64,
    pub final_inventory: f64,
    /// End equity after paying the taker fee to close the position at the last close.
    pub liquidation_value: f64,
    /// `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
    pub data_hash: String,
    /// The named split run on, if any (`test (burned)` when the test lock saw it before).
    pub split: Option<crate::load::SplitInfo>,
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    /// For precomputed actions (a policy's): the same actions under touch, one more bar of lag,
    /// a 15 bps buffer, double fees and lag 0 (OPTIMISTIC), beside the run itself.
    pub stress: Option<Vec<tradelab_sim::StressRow>>,
}

/// Bar open times, equity at each close and the close price.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Curve {
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    pub close: Vec<f64>,
}

/// Fills in what the window decides: the interval, and P from the calendar unless given.
pub fn window_params(
    params: &SimParams,
    cal: Calendar,
    interval_ms: i64,
) -> Result<(SimParams, String)> {
    let mut p = params.clone();
    p.interval_ms = interval_ms;
    let periods = match p.periods_per_year {
        Some(given) => format!("P={given} (given)"),
        None => {
            p.periods_per_year = Some(cal.periods_per_year(interval_ms));
            cal.periods_label(interval_ms)
        }
    };
    p.validate()?;
    Ok((p, periods))
}

pub fn run(
    req: &SingleRequest,
    actions: Option<KeyedActions<'_>>,
) -> Result<(SingleReport, Curve)> {
    let (window, split) = req.window.resolve(&[req.symbol.as_str()], "backtest")?;
    let (sym, bars) = load::bars(&window, &req.symbol)?;
    let iv = window.interval()?;
    let (params, periods) = window_params(
        &req.params.clone().unwrap_or_default(),
        Calendar::for_symbol(&sym)?,
        iv.ms(),
    )?;
    let (acts, strategy, strategy_label) = match (actions, &req.strategy) {
        (Some(k), _) => {
            let a = Actions::from_keyed(
                &bars.ts,
                k.ts,
                k.buy_price,
                k.sell_price,
                k.buy_frac,
                k.sell_frac,
            )?;
            let used = StrategyUsed::Actions {
                kind: ActionsKind::Actions,
                rows: k.ts.len() as u64,
            };
            (a, used, "actions file".to_string())
        }
        (None, Some(s)) => (s.actions(&bars)?, StrategyUsed::Rule(s.clone()), s.label()),
        (None, None) => {
            return Err(BacktestError::input(
                "strategy",
                "a backtest needs a strategy or actions",
            ))
        }
    };
    let r = simulate(&bars, &acts, &params)?;
    let stress = match strategy {
        StrategyUsed::Actions { .. } => Some(tradelab_sim::stress_table(&bars, &acts, &params)?),
        _ => None,
    };
    let report = SingleReport {
        stress,
        label: r.label,
        params,
        strategy,
        strategy_label,
        periods,
        metrics: r.metrics,
        round_trips: round_trips(&r.trades),
        trade_sha256: tradelab_sim::trade_sha256(&r.trades),
        trades: r.trades,
        final_cash: r.final_cash,
        final_inventory: r.final_inventory,
        liquidation_value: r.liquidation_value,
        data_hash: load::data_hash(&window, [&sym])?,
        split,
        bars: bars.len() as u64,
        first: bars.ts[0],
        last: bars.ts[bars.len() - 1],
    };
    Ok((report, curve(&bars, r.equity)))
}

fn curve(bars: &Bars, equity: Vec<f64>) -> Curve {
    Curve {
        ts: bars.ts.clone(),
        equity,
        close: bars.close.clone(),
    }
}
