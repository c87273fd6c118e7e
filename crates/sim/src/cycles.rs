//! Optional intrabar round trips (seed §6.2), shared by the reference and the kernel.
//!
//! They assume the bar bounced between the two limits `n` times with unlimited liquidity, which
//! a bar's OHLC cannot show (design §12.5). Off by default; any run using them is optimistic.
use crate::num::{fmax, fmin};

/// A bar's cycles aggregated into one buy leg and one sell leg of `qty` units each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cycles {
    /// Total units bought (and sold) over all cycles: n × per-cycle quantity.
    pub qty: f64,
    /// Part of each order fraction the cycles used (min of the two); the regular orders keep the rest.
    pub frac: f64,
    /// Cash change of the buy leg (≤ 0): −qty × buy × (1 + fee).
    pub buy_cash: f64,
    /// Cash change of the sell leg (≥ 0): qty × sell × (1 − fee).
    pub sell_cash: f64,
}

/// Seed semantics with our effective prices. The caller has checked that both limits fill by the
/// fill rule, `sell > buy > 0` and both fractions are > 0.
/// c = min(buy_frac, sell_frac); per-cycle qty = c × cash / (buy × (1 + fee));
/// n = min(max_cycles, max(1, floor((high − low) / (sell − buy)))); with a volume cap the bar's
/// 2 × n × qty traded units stay within `vol_left`. When fees exceed the spread each cycle loses
/// money; n is then capped so the loss never exceeds `cash` (cash + buy_cash + sell_cash >= 0,
/// checked on the rounded values).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn intrabar_cycles(
    max_cycles: f64,
    cash: f64,
    buy: f64,
    sell: f64,
    buy_frac: f64,
    sell_frac: f64,
    high: f64,
    low: f64,
    fee: f64,
    vol_left: f64,
) -> Cycles {
    let frac = fmin(buy_frac, sell_frac);
    let unit_cost = buy * (1.0 + fee);
    let unit_proceeds = sell * (1.0 - fee);
    let mut n = fmin(max_cycles, fmax(((high - low) / (sell - buy)).floor(), 1.0));
    let per_cycle = fmin(frac * cash / unit_cost, vol_left / (2.0 * n));
    if unit_proceeds < unit_cost && per_cycle > 0.0 {
        n = fmin(
            n,
            (cash / (per_cycle * (unit_cost - unit_proceeds))).floor(),
        );
    }
    let legs = |n: f64| {
        let qty = n * per_cycle;
        Cycles {
            qty,
            frac,
            buy_cash: -(qty * unit_cost),
            sell_cash: qty * unit_proceeds,
        }
    };
    let mut c = legs(n);
    // Rounding may leave a loss-capped run a hair below zero; one cycle fewer fixes it.
    while n > 0.0 && cash + c.buy_cash + c.sell_cash < 0.0 {
        n -= 1.0;
        c = legs(n);
    }
    c
}
