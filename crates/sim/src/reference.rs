//! The reference simulator: one parameter set, one instrument, a fold over [`Engine::step`].
//!
//! The batched kernel (`kernel.rs`) must reproduce its numbers bit for bit; when the two
//! disagree, `engine/step.rs` is the specification.
//!
//! Per bar `i` (action row `i − decision_lag`, see `actions.rs`), with `start_cash`/`start_inv`
//! the holdings at the bar's open:
//! 1. **Max hold.** If the position has been held `max_hold_bars` bars (counted from the bar whose
//!    buy opened it from flat), sell all of it at the open, paying the taker fee. Nothing else
//!    trades on that bar.
//! 2. **Orders.** Fractions × intensity, clamped to [0, 1] (a sell fraction within 1e-4 of 1 sells
//!    everything: flat means flat, see `model::flat`); buy limit × (1 − offset), sell limit
//!    × (1 + offset); the sell raised to buy × (1 + min_gap) when configured and a buy exists;
//!    `one_side_per_bar` drops the smaller side.
//! 3. **Intrabar cycles** (only if `max_round_trips_per_bar` > 0; optimistic), see `cycles.rs`.
//! 4. **Sell** `sell_frac × start_inv` if the bar reaches the sell limit, at max(open, limit),
//!    maker fee. Only inventory held at the open can be sold: a bar never buys and then sells
//!    the same units (design §12.5).
//! 5. **Buy** with `buy_frac ×` the cash held before this bar's sell (never its proceeds), at
//!    min(open, limit), maker fee included in the spend; budgets below [`DUST_BUDGET`] are skipped.
//! 6. A volume cap, if set, limits the bar's total filled quantity (sell first, then buy).
//! 7. Equity is marked at the close: cash + inventory × close.
use crate::engine::{orders_from_row, BarInput, Engine, Orders};
use crate::inputs::check_inputs;
use crate::metrics::{curve_stats, window_start, Metrics};
use crate::{Actions, SimError, SimLabel, SimParams};
use serde::{Deserialize, Serialize};
use tradelab_core::Bars;

/// Buys whose budget (quote currency) is below this are not placed: dust. With prices limited to
/// [`crate::inputs::MIN_PRICE`, `crate::inputs::MAX_PRICE`] it also guarantees a placed buy has a
/// positive quantity, which the kernel relies on.
pub const DUST_BUDGET: f64 = 1e-9;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum TradeReason {
    /// A resting limit order filled.
    Limit,
    /// Forced market close at the open after `max_hold_bars` (taker fee).
    MaxHold,
    /// One leg of a bar's aggregated intrabar cycles (qty = all cycles together).
    IntrabarCycle,
    /// Market close at the session's last close (taker fee).
    EndOfDay,
    /// Forced close at the bar's adverse price below maintenance margin (taker fee).
    Liquidation,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    /// Open time of the bar the fill happened in.
    #[ts(type = "number")]
    pub ts: i64,
    pub bar: usize,
    pub side: Side,
    pub price: f64,
    pub qty: f64,
    /// Fee paid, in quote currency (reporting; already inside `cash_delta`).
    pub fee: f64,
    /// Exact change of cash this fill caused (buys negative). Replaying these in order
    /// reproduces the simulator's cash bit for bit.
    pub cash_delta: f64,
    pub reason: TradeReason,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimResult {
    pub label: SimLabel,
    /// `equity[i]` = cash + inventory × close of bar i. The curve's V_0 is `metrics.curve.start_equity`.
    pub equity: Vec<f64>,
    /// Cash and inventory held at the close of each bar.
    pub cash: Vec<f64>,
    pub inventory: Vec<f64>,
    pub trades: Vec<Trade>,
    pub metrics: Metrics,
    pub final_cash: f64,
    pub final_inventory: f64,
    /// Final equity after paying the taker fee to close the remaining position at the last
    /// close (what the account is worth if liquidated; `metrics.endEquity` is marked to the close).
    pub liquidation_value: f64,
}

/// Simulates one parameter set over `bars`. `actions` must have one row per bar.
pub fn simulate(bars: &Bars, actions: &Actions, params: &SimParams) -> Result<SimResult, SimError> {
    check_inputs(bars, actions, params)?;
    let p = params;
    let n = bars.len();
    let engine = Engine::new(p.engine_params(), vec![p.instrument("")])?;
    let transform = p.order_transform();
    let mut st = engine.initial_state();
    let mut equity = Vec::with_capacity(n);
    let mut cash_curve = Vec::with_capacity(n);
    let mut inv_curve = Vec::with_capacity(n);
    let mut fills = Vec::new();
    for i in 0..n {
        let bar = BarInput::new(
            bars.ts[i],
            bars.open[i],
            bars.high[i],
            bars.low[i],
            bars.close[i],
            bars.volume[i],
        );
        let orders = match i.checked_sub(p.decision_lag) {
            Some(row) => orders_from_row(actions, row, &transform),
            None => Orders::default(),
        };
        engine.step(&mut st, &[Some(bar)], &[orders], &mut fills);
        equity.push(st.equity());
        cash_curve.push(st.cash);
        inv_curve.push(st.positions[0].qty);
    }
    let trades: Vec<Trade> = fills.into_iter().map(|f| f.trade).collect();
    let curve = curve_stats(p.starting_cash, &equity);
    let window = p.window_bars().map(|k| {
        let s = window_start(n, k);
        let v0 = if s == 0 {
            p.starting_cash
        } else {
            equity[s - 1]
        };
        curve_stats(v0, &equity[s..])
    });
    let metrics = Metrics::from_stats(&curve, &st.stats[0], window.as_ref(), p.periods_per_year());
    let final_inventory = st.positions[0].qty;
    let last_close = bars.close[n - 1];
    let liquidation_value = st.cash + final_inventory * last_close * (1.0 - p.taker_fee);
    let mut label = p.describe();
    label.add_fill_warnings(bars, &trades, p);
    Ok(SimResult {
        label,
        equity,
        cash: cash_curve,
        inventory: inv_curve,
        trades,
        metrics,
        final_cash: st.cash,
        final_inventory,
        liquidation_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FillRule;

    /// Bars from (open, high, low, close) with volume 1000, hourly from 0.
    pub(crate) fn bars(rows: &[(f64, f64, f64, f64)]) -> Bars {
        let mut b = Bars::with_capacity(rows.len());
        for (i, &(o, h, l, c)) in rows.iter().enumerate() {
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.high.push(h);
            b.low.push(l);
            b.close.push(c);
            b.volume.push(1000.0);
        }
        b
    }

    /// Mechanics tests use touch fills so hand-computed bars can sit exactly on the limit.
    fn no_fee() -> SimParams {
        SimParams {
            fill_rule: FillRule::Touch,
            maker_fee: 0.0,
            taker_fee: 0.0,
            starting_cash: 1000.0,
            ..Default::default()
        }
    }

    #[test]
    fn lag_one_fills_on_next_bar_at_limit() {
        let b = bars(&[
            (100.0, 101.0, 99.0, 100.0),
            (100.0, 101.0, 95.0, 98.0),
            (98.0, 99.0, 97.0, 98.0),
        ]);
        let mut a = Actions::empty(3);
        a.buy_price[0] = 96.0;
        a.buy_frac[0] = 1.0;
        let r = simulate(&b, &a, &no_fee()).unwrap();
        assert_eq!(r.trades.len(), 1);
        let t = r.trades[0];
        assert_eq!((t.bar, t.side, t.price), (1, Side::Buy, 96.0));
        assert_eq!(t.qty, 1000.0 / 96.0);
        assert_eq!(r.equity[0], 1000.0);
        assert_eq!(r.equity[1], 1000.0 / 96.0 * 98.0);
        assert_eq!(r.final_cash, 0.0);
    }

    #[test]
    fn gap_fills_at_open_and_fee_is_included_in_spend() {
        // Buy limit 100, bar opens at 90: filled at 90.
        let b = bars(&[(100.0, 100.0, 100.0, 100.0), (90.0, 91.0, 89.0, 90.0)]);
        let mut a = Actions::empty(2);
        a.buy_price[0] = 100.0;
        a.buy_frac[0] = 0.5;
        let p = SimParams {
            maker_fee: 0.001,
            starting_cash: 1000.0,
            ..Default::default()
        };
        let r = simulate(&b, &a, &p).unwrap();
        let t = r.trades[0];
        assert_eq!(t.price, 90.0);
        assert_eq!(t.qty, 500.0 / (90.0 * 1.001));
        assert_eq!(r.final_cash, 500.0);
    }

    #[test]
    fn sell_cannot_use_inventory_bought_in_the_same_bar() {
        // Bar 1 reaches both limits; nothing held at its open, so only the buy fills.
        let b = bars(&[
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 110.0, 90.0, 100.0),
            (100.0, 110.0, 90.0, 100.0),
        ]);
        let mut a = Actions::empty(3);
        for r in 0..2 {
            a.buy_price[r] = 95.0;
            a.buy_frac[r] = 1.0;
            a.sell_price[r] = 105.0;
            a.sell_frac[r] = 1.0;
        }
        let r = simulate(&b, &a, &no_fee()).unwrap();
        let sides: Vec<_> = r.trades.iter().map(|t| (t.bar, t.side)).collect();
        // bar 2: sells the bar-1 inventory; the buy may spend only bar 2's opening cash (0).
        assert_eq!(sides, vec![(1, Side::Buy), (2, Side::Sell)]);
        assert_eq!(r.final_inventory, 0.0);
        assert_eq!(r.final_cash, 1000.0 / 95.0 * 105.0);
    }

    #[test]
    fn lag_zero_is_optimistic_and_fills_on_decision_bar() {
        let b = bars(&[(100.0, 100.0, 90.0, 95.0)]);
        let mut a = Actions::empty(1);
        a.buy_price[0] = 95.0;
        a.buy_frac[0] = 1.0;
        let p = SimParams {
            decision_lag: 0,
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        assert_eq!(r.trades.len(), 1);
        assert!(r.label.optimistic);
        assert!(simulate(&b, &a, &no_fee()).unwrap().trades.is_empty());
    }

    #[test]
    fn cross_rule_needs_trade_through() {
        let b = bars(&[(100.0, 100.0, 100.0, 100.0), (100.0, 100.0, 95.0, 100.0)]);
        let mut a = Actions::empty(2);
        a.buy_price[0] = 95.0;
        a.buy_frac[0] = 1.0;
        assert_eq!(simulate(&b, &a, &no_fee()).unwrap().trades.len(), 1);
        let cross = SimParams {
            fill_rule: FillRule::Cross { buffer: 0.0 },
            ..no_fee()
        };
        assert!(simulate(&b, &a, &cross).unwrap().trades.is_empty());
    }

    #[test]
    fn max_hold_closes_at_open_with_taker_fee() {
        let b = bars(&[
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 100.0, 100.0, 100.0),
            (110.0, 110.0, 110.0, 110.0),
        ]);
        let mut a = Actions::empty(4);
        a.buy_price[0] = 100.0;
        a.buy_frac[0] = 1.0;
        a.buy_price[2] = 120.0; // would buy again on bar 3, but bar 3 is the forced-close bar
        a.buy_frac[2] = 1.0;
        let p = SimParams {
            max_hold_bars: Some(2),
            taker_fee: 0.01,
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        let t = r.trades[1];
        assert_eq!(
            (t.bar, t.side, t.reason, t.price),
            (3, Side::Sell, TradeReason::MaxHold, 110.0)
        );
        assert_eq!(r.trades.len(), 2);
        assert_eq!(r.final_cash, 1100.0 - 1100.0 * 0.01);
        assert_eq!(r.metrics.round_trips, 1);
        assert_eq!(r.metrics.win_rate, 1.0);
    }

    #[test]
    fn volume_cap_limits_quantity_and_cost() {
        let b = bars(&[(100.0, 100.0, 100.0, 100.0), (100.0, 100.0, 100.0, 100.0)]);
        let mut a = Actions::empty(2);
        a.buy_price[0] = 100.0;
        a.buy_frac[0] = 1.0;
        let p = SimParams {
            max_volume_fraction: Some(0.001),
            ..no_fee()
        }; // 1 unit of 1000
        let r = simulate(&b, &a, &p).unwrap();
        assert_eq!(r.trades[0].qty, 1.0);
        assert_eq!(r.final_cash, 900.0);
    }

    #[test]
    fn one_side_per_bar_keeps_larger_fraction() {
        let b = bars(&[
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 110.0, 90.0, 100.0),
        ]);
        let mut a = Actions::empty(3);
        a.buy_price[0] = 100.0;
        a.buy_frac[0] = 0.5;
        a.buy_price[1] = 95.0;
        a.buy_frac[1] = 0.5;
        a.sell_price[1] = 105.0;
        a.sell_frac[1] = 1.0;
        let p = SimParams {
            one_side_per_bar: true,
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        let sides: Vec<_> = r.trades.iter().map(|t| (t.bar, t.side)).collect();
        assert_eq!(sides, vec![(1, Side::Buy), (2, Side::Sell)]);
        let both = simulate(&b, &a, &no_fee()).unwrap();
        assert_eq!(both.trades.len(), 3);
    }

    #[test]
    fn min_gap_raises_sell_limit() {
        let b = bars(&[
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 100.0, 100.0, 100.0),
            (100.0, 100.5, 99.0, 100.0),
        ]);
        let mut a = Actions::empty(3);
        a.buy_price[0] = 100.0;
        a.buy_frac[0] = 1.0;
        a.buy_price[1] = 99.0;
        a.buy_frac[1] = 0.1;
        a.sell_price[1] = 99.5;
        a.sell_frac[1] = 1.0;
        // gap 1 %: sell raised to 99.99 → still reached (high 100.5); open 100 is better → 100.
        let p = SimParams {
            min_gap_pct: Some(0.01),
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        assert_eq!(r.trades[1].price, 100.0);
        // gap 2 %: sell raised to 100.98 → not reached.
        let p = SimParams {
            min_gap_pct: Some(0.02),
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        assert!(r.trades.iter().all(|t| t.side == Side::Buy));
    }

    #[test]
    fn intrabar_cycles_follow_seed_and_are_flagged() {
        let b = bars(&[(100.0, 100.0, 100.0, 100.0), (100.0, 104.0, 96.0, 100.0)]);
        let mut a = Actions::empty(2);
        a.buy_price[0] = 99.0;
        a.buy_frac[0] = 0.5;
        a.sell_price[0] = 101.0;
        a.sell_frac[0] = 0.5;
        let p = SimParams {
            max_round_trips_per_bar: 3,
            ..no_fee()
        };
        let r = simulate(&b, &a, &p).unwrap();
        // n = min(3, floor(8 / 2)) = 3 cycles of 0.5 × 1000 / 99 units, 2 per unit each.
        let q = 0.5 * 1000.0 / 99.0;
        assert_eq!(r.trades[0].reason, TradeReason::IntrabarCycle);
        assert_eq!(r.trades[0].qty, 3.0 * q);
        assert_eq!(r.final_cash, 1000.0 - 3.0 * q * 99.0 + 3.0 * q * 101.0);
        assert!(r.label.optimistic);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let b = bars(&[(100.0, 99.0, 98.0, 100.0)]);
        assert!(matches!(
            simulate(&b, &Actions::empty(1), &no_fee()),
            Err(SimError::InvalidBar { .. })
        ));
        let b = bars(&[(100.0, 100.0, 100.0, 100.0)]);
        assert!(matches!(
            simulate(&b, &Actions::empty(2), &no_fee()),
            Err(SimError::LengthMismatch { .. })
        ));
        assert!(matches!(
            simulate(&Bars::default(), &Actions::empty(0), &no_fee()),
            Err(SimError::EmptyBars)
        ));
    }
}
