//! Round trips from a fill list, by the engine's own rule: a trip opens with the fill that leaves
//! flat and closes with the fill that brings the running quantity back to exactly 0.0 (the same
//! float additions as the engine's position book, and the dust rule makes full sells exact), so
//! these trips, `Metrics::round_trips` and `Metrics::win_rate` always agree. TS reports read
//! them from here instead of pairing trades themselves.
use crate::{Side, Trade};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RoundTrip {
    #[ts(type = "number")]
    pub entry_ts: i64,
    #[ts(type = "number")]
    pub entry_bar: u64,
    /// None while the position is still open at the end of the data.
    #[ts(type = "number | null")]
    pub exit_ts: Option<i64>,
    #[ts(type = "number | null")]
    pub exit_bar: Option<u64>,
    /// Quantity-weighted average prices of the opening and closing fills.
    pub entry_price: f64,
    pub exit_price: Option<f64>,
    /// Quantity opened (summed over the fills that grew the position).
    pub qty: f64,
    pub fees: f64,
    /// Net cash flow of the trip, fees included (> 0 is a win); None while open.
    pub pnl: Option<f64>,
    /// Net cash in / net cash out − 1; None while open.
    pub ret: Option<f64>,
    #[ts(type = "number")]
    pub fills: u64,
}

/// Round trips of one instrument's long-only fills (the single-asset simulator's trades).
pub fn round_trips(trades: &[Trade]) -> Vec<RoundTrip> {
    struct Open {
        t: RoundTrip,
        qty: f64,
        buy_qty: f64,
        buy_notional: f64,
        sell_qty: f64,
        sell_notional: f64,
        cash_out: f64,
        cash_in: f64,
        /// Net cash flow in fill order, as `TradeStats` sums it (decides the win identically).
        flow: f64,
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for tr in trades {
        if tr.side == Side::Sell && open.is_none() {
            continue; // nothing held: cannot happen long-only
        }
        let o = open.get_or_insert(Open {
            t: RoundTrip {
                entry_ts: tr.ts,
                entry_bar: tr.bar as u64,
                exit_ts: None,
                exit_bar: None,
                entry_price: tr.price,
                exit_price: None,
                qty: 0.0,
                fees: 0.0,
                pnl: None,
                ret: None,
                fills: 0,
            },
            qty: 0.0,
            buy_qty: 0.0,
            buy_notional: 0.0,
            sell_qty: 0.0,
            sell_notional: 0.0,
            cash_out: 0.0,
            cash_in: 0.0,
            flow: 0.0,
        });
        match tr.side {
            Side::Buy => {
                o.qty += tr.qty;
                o.buy_qty += tr.qty;
                o.buy_notional += tr.qty * tr.price;
                o.cash_out -= tr.cash_delta;
            }
            Side::Sell => {
                o.qty += -tr.qty;
                o.sell_qty += tr.qty;
                o.sell_notional += tr.qty * tr.price;
                o.cash_in += tr.cash_delta;
            }
        }
        o.flow += tr.cash_delta;
        o.t.fees += tr.fee;
        o.t.fills += 1;
        o.t.qty = o.buy_qty;
        o.t.entry_price = o.buy_notional / o.buy_qty;
        if o.sell_qty > 0.0 {
            o.t.exit_price = Some(o.sell_notional / o.sell_qty);
        }
        if tr.side == Side::Sell && o.qty == 0.0 {
            let mut t = o.t.clone();
            t.exit_ts = Some(tr.ts);
            t.exit_bar = Some(tr.bar as u64);
            t.pnl = Some(o.flow);
            t.ret = (o.cash_out > 0.0).then(|| o.cash_in / o.cash_out - 1.0);
            out.push(t);
            open = None;
        }
    }
    if let Some(o) = open {
        out.push(o.t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TradeReason;

    fn trade(side: Side, bar: usize, price: f64, qty: f64, fee: f64) -> Trade {
        let gross = price * qty;
        let cash_delta = if side == Side::Buy {
            -(gross + fee)
        } else {
            gross - fee
        };
        Trade {
            ts: bar as i64 * 3_600_000,
            bar,
            side,
            price,
            qty,
            fee,
            cash_delta,
            reason: TradeReason::Limit,
        }
    }

    #[test]
    fn partial_buys_and_sells_pair_into_flat_to_flat_trips_fees_included() {
        let trips = round_trips(&[
            trade(Side::Buy, 1, 100.0, 1.0, 0.1),
            trade(Side::Buy, 2, 90.0, 1.0, 0.09),
            trade(Side::Sell, 5, 110.0, 1.5, 0.165),
            trade(Side::Sell, 6, 120.0, 0.5, 0.06),
            trade(Side::Buy, 8, 50.0, 2.0, 0.0),
        ]);
        assert_eq!(trips.len(), 2);
        let (a, b) = (&trips[0], &trips[1]);
        assert_eq!((a.entry_bar, a.exit_bar, a.fills), (1, Some(6), 4));
        assert!((a.entry_price - 95.0).abs() < 1e-12);
        assert!((a.exit_price.unwrap() - 112.5).abs() < 1e-12);
        assert!((a.ret.unwrap() - ((225.0 - 0.225) / (190.0 + 0.19) - 1.0)).abs() < 1e-12);
        assert!((a.pnl.unwrap() - (225.0 - 0.225 - 190.19)).abs() < 1e-9);
        assert_eq!((b.exit_ts, b.ret, b.pnl), (None, None, None));
    }
}
