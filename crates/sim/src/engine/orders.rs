//! Orders resting on one bar, and the transform from an action row (see `actions.rs`) to them.
use crate::model::flat::snap_sell_frac;
use crate::num::{fmax, fmin};
use crate::Actions;
use serde::{Deserialize, Serialize};

/// How much an order trades.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Size {
    /// Buy: this fraction of the buying power held at the open (the cash held before this bar's
    /// sells, at leverage 1). Sell: this fraction of the long position held at the open.
    Frac(f64),
    /// Units. A sell beyond the long position opens a short where the instrument allows it; a
    /// buy covers a short first.
    Qty(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Limit {
    pub price: f64,
    pub size: Size,
}

/// One instrument's orders resting on one bar. They live for that bar only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Orders {
    pub buy: Option<Limit>,
    pub sell: Option<Limit>,
    /// Makes `buy` contingent on the exit of instrument `after_exit` (this one or another;
    /// OPTIMISTIC same-bar re-entry, seed §7 `allow_reentry_same_bar`): it rests only if that
    /// instrument was long at the open and is flat after this bar's sells, and its fraction is
    /// of that exit's proceeds, not of the cash held at the open. Bars do not say whether the
    /// exit or the entry came first, so this assumes the exit did; runs that use it are
    /// labelled optimistic. One contingent buy per exit (the first in instrument order spends
    /// the proceeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub after_exit: Option<u32>,
}

/// The order parameters of `SimParams` applied to action rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrderTransform {
    pub intensity: f64,
    pub price_offset_pct: f64,
    pub min_gap_pct: Option<f64>,
    pub one_side_per_bar: bool,
}

impl Default for OrderTransform {
    fn default() -> Self {
        OrderTransform {
            intensity: 1.0,
            price_offset_pct: 0.0,
            min_gap_pct: None,
            one_side_per_bar: false,
        }
    }
}

/// Orders from action row `row`: fractions × intensity clamped to [0, 1] (a sell within
/// [`crate::model::flat::SELL_ALL_TOLERANCE`] of 1 sells everything), buy limit × (1 − offset),
/// sell limit × (1 + offset), raised to buy × (1 + min gap) when configured and a buy exists;
/// `one_side_per_bar` zeroes the smaller side (ties keep the sell).
pub fn orders_from_row(actions: &Actions, row: usize, t: &OrderTransform) -> Orders {
    let buy = actions.buy_order(row);
    let sell = actions.sell_order(row);
    let mut buy_frac = buy.map_or(0.0, |o| fmin(o.frac * t.intensity, 1.0));
    let mut sell_frac = sell.map_or(0.0, |o| snap_sell_frac(fmin(o.frac * t.intensity, 1.0)));
    let buy_limit = buy.map(|o| o.price * (1.0 - t.price_offset_pct));
    let mut sell_limit = sell.map(|o| o.price * (1.0 + t.price_offset_pct));
    if let (Some(gap), Some(b), Some(s)) = (t.min_gap_pct, buy_limit, sell_limit) {
        sell_limit = Some(fmax(s, b * (1.0 + gap)));
    }
    if t.one_side_per_bar && buy_frac > 0.0 && sell_frac > 0.0 {
        if buy_frac > sell_frac {
            sell_frac = 0.0;
        } else {
            buy_frac = 0.0;
        }
    }
    Orders {
        buy: buy_limit.map(|price| Limit {
            price,
            size: Size::Frac(buy_frac),
        }),
        sell: sell_limit.map(|price| Limit {
            price,
            size: Size::Frac(sell_frac),
        }),
        after_exit: None,
    }
}
