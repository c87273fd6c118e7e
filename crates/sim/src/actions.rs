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

    /// A copy of rows `r`.
    pub fn slice(&self, r: std::ops::Range<usize>) -> Self {
        Actions {
            buy_price: self.buy_price[r.clone()].to_vec(),
            sell_price: self.sell_price[r.clone()].to_vec(),
            buy_frac: self.buy_frac[r.clone()].to_vec(),
            sell_frac: self.sell_frac[r].to_vec(),
        }
    }

    /// Makes this `n` rows with no orders, reusing the buffers.
    pub fn reset(&mut self, n: usize) {
        for (v, x) in [
            (&mut self.buy_price, f64::NAN),
            (&mut self.sell_price, f64::NAN),
            (&mut self.buy_frac, 0.0),
            (&mut self.sell_frac, 0.0),
        ] {
            v.clear();
            v.resize(n, x);
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

    /// Actions for `bar_ts` from rows keyed by decision time: row `k` (timestamp `ts[k]`) is the
    /// action decided after the bar that opened at `ts[k]` closed. Bars without a row get no
    /// orders. One rule for every row: it must match a bar open time, whether it lies inside a
    /// gap or before/after the bars (callers cut rows to a `--from/--to` window first). An
    /// unsorted or duplicate timestamp, a fraction outside [0, 1] or a price that is not > 0 is
    /// an error naming the row (1-based) and the field. NaN means "no order" for that side.
    pub fn from_keyed(
        bar_ts: &[i64],
        ts: &[i64],
        buy_price: &[f64],
        sell_price: &[f64],
        buy_frac: &[f64],
        sell_frac: &[f64],
    ) -> Result<Actions, SimError> {
        for (what, got) in [
            ("buyPrice", buy_price.len()),
            ("sellPrice", sell_price.len()),
            ("buyFrac", buy_frac.len()),
            ("sellFrac", sell_frac.len()),
        ] {
            if got != ts.len() {
                return Err(SimError::LengthMismatch {
                    what,
                    got,
                    expected: ts.len(),
                });
            }
        }
        let mut a = Actions::empty(bar_ts.len());
        let (first, last) = match (bar_ts.first(), bar_ts.last()) {
            (Some(f), Some(l)) => (*f, *l),
            _ => return Ok(a),
        };
        let mut j = 0;
        for k in 0..ts.len() {
            let t = ts[k];
            if k > 0 && t <= ts[k - 1] {
                let reason = if t == ts[k - 1] {
                    "duplicate timestamp"
                } else {
                    "timestamps not sorted"
                };
                return Err(SimError::InvalidActionRow {
                    row: k + 1,
                    reason: format!("{reason} ({t} ms)"),
                });
            }
            let iso = tradelab_core::time::format_ms;
            if t < first || t > last {
                return Err(SimError::InvalidActionRow {
                    row: k + 1,
                    reason: format!(
                        "timestamp {} ({t} ms) is outside the bars being simulated ({} .. {}); every row must match a bar open time (cut the file, or pass --from/--to)",
                        iso(t),
                        iso(first),
                        iso(last)
                    ),
                });
            }
            for (field, v) in [("buy_frac", buy_frac[k]), ("sell_frac", sell_frac[k])] {
                if !(v.is_nan() || (0.0..=1.0).contains(&v)) {
                    return Err(SimError::InvalidActionRow {
                        row: k + 1,
                        reason: format!(
                            "field `{field}`: {v} is not a fraction in [0, 1] (empty = no order)"
                        ),
                    });
                }
            }
            for (field, v) in [("buy_price", buy_price[k]), ("sell_price", sell_price[k])] {
                if !(v.is_nan() || (v.is_finite() && v > 0.0)) {
                    return Err(SimError::InvalidActionRow {
                        row: k + 1,
                        reason: format!(
                            "field `{field}`: {v} is not a positive price (empty = no order)"
                        ),
                    });
                }
            }
            while j < bar_ts.len() && bar_ts[j] < t {
                j += 1;
            }
            if j >= bar_ts.len() || bar_ts[j] != t {
                return Err(SimError::InvalidActionRow {
                    row: k + 1,
                    reason: format!(
                        "timestamp {} ({t} ms) matches no bar open time",
                        tradelab_core::time::format_ms(t)
                    ),
                });
            }
            a.buy_price[j] = buy_price[k];
            a.sell_price[j] = sell_price[k];
            a.buy_frac[j] = buy_frac[k];
            a.sell_frac[j] = sell_frac[k];
        }
        Ok(a)
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

    #[test]
    fn keyed_rows_align_to_bars() {
        let bars = [0, 10, 20, 30];
        let a = Actions::from_keyed(
            &bars,
            &[10, 30],
            &[1.0; 2],
            &[2.0; 2],
            &[0.5; 2],
            &[0.25; 2],
        )
        .unwrap();
        assert_eq!(a.len(), 4);
        assert!(a.buy_order(0).is_none() && a.buy_order(2).is_none());
        assert_eq!(
            a.buy_order(1),
            Some(Order {
                price: 1.0,
                frac: 0.5
            })
        );
        assert_eq!(
            a.sell_order(3),
            Some(Order {
                price: 2.0,
                frac: 0.25
            })
        );
        let e = Actions::from_keyed(&bars, &[10, 15], &[1.0; 2], &[2.0; 2], &[1.0; 2], &[1.0; 2])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "actions row 2: timestamp 1970-01-01T00:00:00Z (15 ms) matches no bar open time"
        );
        // Rows after the last bar are refused like rows inside a gap (audit #99 vs #100).
        let e = Actions::from_keyed(&bars, &[10, 40], &[1.0; 2], &[2.0; 2], &[1.0; 2], &[1.0; 2])
            .unwrap_err();
        assert!(
            e.to_string().contains("row 2: timestamp")
                && e.to_string().contains("outside the bars"),
            "{e}"
        );
        // Audit #103: fractions outside [0, 1] and negative prices were silently ignored.
        for (bp, bf, field) in [
            (1.0, -1.0, "buy_frac"),
            (1.0, 5.0, "buy_frac"),
            (-5.0, 1.0, "buy_price"),
        ] {
            let e = Actions::from_keyed(&bars, &[10], &[bp], &[2.0], &[bf], &[1.0]).unwrap_err();
            assert!(
                e.to_string().contains(&format!("row 1: field `{field}`")),
                "{e}"
            );
        }
        let e = Actions::from_keyed(&bars, &[10, 10], &[1.0; 2], &[2.0; 2], &[1.0; 2], &[1.0; 2])
            .unwrap_err();
        assert!(e.to_string().contains("row 2: duplicate"));
    }
}
