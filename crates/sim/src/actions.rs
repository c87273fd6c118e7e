//! Trading actions and THE simulator contract.
//!
//! This contract is shared by sweeps, the selector, training evaluation and paper trading; every
//! consumer must produce and read actions this way.
//!
//! * `Actions` has one row per bar of the `Bars` it was made from (same length, same order).
//! * Row `t` is decided **after bar t has closed**: it may use bars `0..=t` and nothing later.
//! * With decision lag `L` (`SimParams::decision_lag`, default 1) row `t` rests on bar `t + L`
//!   only, and is replaced by row `t + 1` on the next bar (orders are good for one bar). Bars
//!   `0..L` have no orders. Lag 0 fills a row on its own decision bar — the seed's main leakage
//!   (design §12.1) — and is reported as optimistic.
//! * `buy_price`/`sell_price` are limit prices. A buy fills at `min(open, limit)` and a sell at
//!   `max(open, limit)`: the limit, or better when the bar opens through it. A "market" order is
//!   a limit set beyond the expected price (see `strategies`).
//! * `buy_frac` is the fraction of the cash held at the start of the fill bar to spend;
//!   `sell_frac` the fraction of the inventory held at the start of the fill bar to sell. Both are
//!   scaled by `SimParams::intensity` and clamped to [0, 1].
//! * A side has no order unless both its price and its fraction are finite and > 0.
use crate::SimError;

/// Actions as a structure of arrays, one row per bar.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actions {
    pub buy_price: Vec<f64>,
    pub sell_price: Vec<f64>,
    pub buy_frac: Vec<f64>,
    pub sell_frac: Vec<f64>,
}

/// One side of one action row, after the no-order rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Order {
    pub price: f64,
    pub frac: f64,
}

impl Actions {
    /// `n` rows with no orders.
    pub fn empty(n: usize) -> Self {
        Actions {
            buy_price: vec![f64::NAN; n],
            sell_price: vec![f64::NAN; n],
            buy_frac: vec![0.0; n],
            sell_frac: vec![0.0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.buy_price.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buy_price.is_empty()
    }

    /// Checks that every column has exactly `n_bars` rows.
    pub fn check_len(&self, n_bars: usize) -> Result<(), SimError> {
        let cols = [
            ("buyPrice", self.buy_price.len()),
            ("sellPrice", self.sell_price.len()),
            ("buyFrac", self.buy_frac.len()),
            ("sellFrac", self.sell_frac.len()),
        ];
        for (what, got) in cols {
            if got != n_bars {
                return Err(SimError::LengthMismatch {
                    what,
                    got,
                    expected: n_bars,
                });
            }
        }
        Ok(())
    }

    pub fn buy_order(&self, row: usize) -> Option<Order> {
        order(self.buy_price[row], self.buy_frac[row])
    }

    pub fn sell_order(&self, row: usize) -> Option<Order> {
        order(self.sell_price[row], self.sell_frac[row])
    }
}

fn order(price: f64, frac: f64) -> Option<Order> {
    (price.is_finite() && price > 0.0 && frac.is_finite() && frac > 0.0)
        .then_some(Order { price, frac })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_order_rules() {
        let a = Actions {
            buy_price: vec![100.0, f64::NAN, 100.0, 0.0, 100.0],
            sell_price: vec![f64::INFINITY, 1.0, 1.0, 1.0, 1.0],
            buy_frac: vec![0.5, 1.0, f64::NAN, 1.0, 0.0],
            sell_frac: vec![1.0, 1.0, 1.0, 1.0, 1.0],
        };
        assert_eq!(
            a.buy_order(0),
            Some(Order {
                price: 100.0,
                frac: 0.5
            })
        );
        assert_eq!(a.sell_order(0), None);
        for r in 1..5 {
            assert_eq!(a.buy_order(r), None, "row {r}");
        }
        assert!(a.check_len(5).is_ok());
        assert!(a.check_len(4).is_err());
        assert_eq!(Actions::empty(3).buy_order(1), None);
    }
}
