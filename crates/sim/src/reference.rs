//! The reference simulator: one parameter set, one bar at a time, written to be read.
//!
//! The batched kernel (`kernel.rs`) must reproduce its numbers bit for bit; when the two
//! disagree, this file is the specification.
//!
//! Per bar `i` (action row `i − decision_lag`, see `actions.rs`), with `start_cash`/`start_inv`
//! the holdings at the bar's open:
//! 1. **Max hold.** If the position has been held `max_hold_bars` bars (counted from the bar whose
//!    buy opened it from flat), sell all of it at the open, paying the taker fee. Nothing else
//!    trades on that bar.
//! 2. **Orders.** Fractions × intensity, clamped to [0, 1]; buy limit × (1 − offset), sell limit
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
use crate::cycles::intrabar_cycles;
use crate::inputs::check_inputs;
use crate::metrics::{curve_stats, window_start, Metrics, TradeStats};
use crate::num::{fmax, fmin};
use crate::{Actions, FillRule, SimError, SimLabel, SimParams};
use serde::{Deserialize, Serialize};
use tradelab_core::Bars;

/// Buys whose budget (quote currency) is below this are not placed: dust. With prices limited to
/// [`crate::inputs::MIN_PRICE`, `crate::inputs::MAX_PRICE`] it also guarantees a placed buy has a
/// positive quantity, which the kernel relies on.
pub const DUST_BUDGET: f64 = 1e-9;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    Buy,
    Sell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TradeReason {
    /// A resting limit order filled.
    Limit,
    /// Forced market close at the open after `max_hold_bars` (taker fee).
    MaxHold,
    /// One leg of a bar's aggregated intrabar cycles (qty = all cycles together).
    IntrabarCycle,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trade {
    /// Open time of the bar the fill happened in.
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
}

/// Simulates one parameter set over `bars`. `actions` must have one row per bar.
pub fn simulate(bars: &Bars, actions: &Actions, params: &SimParams) -> Result<SimResult, SimError> {
    check_inputs(bars, actions, params)?;
    let p = params;
    let n = bars.len();
    let mut cash = p.starting_cash;
    let mut inv = 0.0_f64;
    let mut opened_at = 0_usize; // bar whose buy opened the current position (meaningful while inv > 0)
    let mut stats = TradeStats::default();
    let mut equity = Vec::with_capacity(n);
    let mut cash_curve = Vec::with_capacity(n);
    let mut inv_curve = Vec::with_capacity(n);
    let mut trades = Vec::new();

    for i in 0..n {
        let (ts, open, high, low, close) = (
            bars.ts[i],
            bars.open[i],
            bars.high[i],
            bars.low[i],
            bars.close[i],
        );
        let trade = |side, price, qty, fee, cash_delta, reason| Trade {
            ts,
            bar: i,
            side,
            price,
            qty,
            fee,
            cash_delta,
            reason,
        };
        let start_inv = inv;

        let held_too_long = p
            .max_hold_bars
            .is_some_and(|h| start_inv > 0.0 && i - opened_at >= h);
        if held_too_long {
            let gross = start_inv * open;
            let fee = gross * p.taker_fee;
            let net = gross - fee;
            cash += net;
            inv = 0.0;
            stats.on_sell(gross, fee, net, true);
            trades.push(trade(
                Side::Sell,
                open,
                start_inv,
                fee,
                net,
                TradeReason::MaxHold,
            ));
        } else if let Some(row) = i.checked_sub(p.decision_lag) {
            // --- 2. effective orders ---
            let buy = actions.buy_order(row);
            let sell = actions.sell_order(row);
            let mut buy_frac = buy.map_or(0.0, |o| fmin(o.frac * p.intensity, 1.0));
            let mut sell_frac = sell.map_or(0.0, |o| fmin(o.frac * p.intensity, 1.0));
            let buy_limit = buy.map_or(0.0, |o| o.price * (1.0 - p.price_offset_pct));
            let mut sell_limit =
                sell.map_or(f64::INFINITY, |o| o.price * (1.0 + p.price_offset_pct));
            if let (Some(gap), Some(_)) = (p.min_gap_pct, buy) {
                sell_limit = fmax(sell_limit, buy_limit * (1.0 + gap));
            }
            if p.one_side_per_bar && buy_frac > 0.0 && sell_frac > 0.0 {
                if buy_frac > sell_frac {
                    sell_frac = 0.0;
                } else {
                    buy_frac = 0.0;
                }
            }
            // Whether the bar's range reached each limit (no order: limit 0 / +inf never does).
            let (buy_reached, sell_reached) = match p.fill_rule {
                FillRule::Touch => (low <= buy_limit, high >= sell_limit),
                FillRule::Cross { buffer } => (
                    low < buy_limit * (1.0 - buffer),
                    high > sell_limit * (1.0 + buffer),
                ),
            };
            let mut vol_left = p
                .max_volume_fraction
                .map_or(f64::INFINITY, |f| f * bars.volume[i]);

            // --- 3. optional intrabar cycles ---
            if p.max_round_trips_per_bar > 0
                && buy_reached
                && sell_reached
                && buy_frac > 0.0
                && sell_frac > 0.0
                && sell_limit > buy_limit
            {
                let cy = intrabar_cycles(
                    p.max_round_trips_per_bar as f64,
                    cash,
                    buy_limit,
                    sell_limit,
                    buy_frac,
                    sell_frac,
                    high,
                    low,
                    p.maker_fee,
                    vol_left,
                );
                let qty = cy.qty;
                if qty > 0.0 {
                    cash += cy.buy_cash;
                    cash += cy.sell_cash;
                    buy_frac -= cy.frac;
                    sell_frac -= cy.frac;
                    vol_left -= 2.0 * qty;
                    let buy_fee = qty * buy_limit * p.maker_fee;
                    let sell_fee = qty * sell_limit * p.maker_fee;
                    stats.on_cycles(
                        qty * buy_limit + qty * sell_limit,
                        buy_fee + sell_fee,
                        cy.buy_cash + cy.sell_cash,
                    );
                    trades.push(trade(
                        Side::Buy,
                        buy_limit,
                        qty,
                        buy_fee,
                        cy.buy_cash,
                        TradeReason::IntrabarCycle,
                    ));
                    trades.push(trade(
                        Side::Sell,
                        sell_limit,
                        qty,
                        sell_fee,
                        cy.sell_cash,
                        TradeReason::IntrabarCycle,
                    ));
                }
            }

            // The buy may only spend cash held before this bar's sell.
            let buy_cash = cash;

            // --- 4. sell from inventory held at the open ---
            if sell_reached && sell_frac > 0.0 {
                let price = fmax(open, sell_limit);
                let qty = fmin(sell_frac * start_inv, vol_left);
                if qty > 0.0 {
                    let gross = qty * price;
                    let fee = gross * p.maker_fee;
                    let net = gross - fee;
                    cash += net;
                    inv -= qty;
                    vol_left -= qty;
                    stats.on_sell(gross, fee, net, inv == 0.0);
                    trades.push(trade(Side::Sell, price, qty, fee, net, TradeReason::Limit));
                }
            }

            // --- 5. buy with cash held before this bar's sell ---
            let budget = buy_frac * buy_cash;
            if buy_reached && buy_frac > 0.0 && budget >= DUST_BUDGET {
                let price = fmin(open, buy_limit);
                let unit_cost = price * (1.0 + p.maker_fee);
                let wanted = budget / unit_cost;
                // Capped by volume: pay for the capped quantity only (never more than budget).
                let (qty, cost) = if wanted <= vol_left {
                    (wanted, budget)
                } else {
                    (vol_left, fmin(vol_left * unit_cost, budget))
                };
                if qty > 0.0 {
                    if inv == 0.0 {
                        opened_at = i;
                    }
                    let notional = qty * price;
                    let fee = notional * p.maker_fee;
                    cash -= cost;
                    inv += qty;
                    stats.on_buy(notional, fee, cost);
                    trades.push(trade(Side::Buy, price, qty, fee, -cost, TradeReason::Limit));
                }
            }
        }

        stats.on_bar_close(inv);
        equity.push(cash + inv * close);
        cash_curve.push(cash);
        inv_curve.push(inv);
    }

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
    let metrics = Metrics::from_stats(&curve, &stats, window.as_ref(), p.periods_per_year());
    Ok(SimResult {
        label: p.describe(),
        equity,
        cash: cash_curve,
        inventory: inv_curve,
        trades,
        metrics,
        final_cash: cash,
        final_inventory: inv,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn no_fee() -> SimParams {
        SimParams {
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
