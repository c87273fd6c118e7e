//! Bar validation: the checks every import runs before anything is written.
use crate::{Bars, Interval};
use std::fmt;

/// One problem found in a bar set. `row` is the 0-based index in the set as given (file order).
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub row: usize,
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

/// Checks bars in their given order and returns the first violation:
/// non-finite values, non-positive prices, negative volume, high below max(open, close), low above
/// min(open, close), timestamps not aligned to the interval, duplicate or decreasing timestamps.
/// Gaps are not violations (see [`crate::GapReport`]).
pub fn validate_bars(bars: &Bars, interval: Interval) -> Result<(), Violation> {
    let v = |row: usize, field: &'static str, message: String| {
        Err(Violation {
            row,
            field,
            message,
        })
    };
    for i in 0..bars.len() {
        let (o, h, l, c, vol) = (
            bars.open[i],
            bars.high[i],
            bars.low[i],
            bars.close[i],
            bars.volume[i],
        );
        for (field, x) in [
            ("open", o),
            ("high", h),
            ("low", l),
            ("close", c),
            ("volume", vol),
        ] {
            if !x.is_finite() {
                return v(i, field, format!("value {x} is not a finite number"));
            }
        }
        if let Some(vw) = &bars.vwap {
            if !vw[i].is_finite() {
                return v(i, "vwap", format!("value {} is not a finite number", vw[i]));
            }
        }
        for (field, x) in [("open", o), ("high", h), ("low", l), ("close", c)] {
            if x <= 0.0 {
                return v(i, field, format!("price {x} is not positive"));
            }
        }
        if vol < 0.0 {
            return v(i, "volume", format!("volume {vol} is negative"));
        }
        if let Some(t) = &bars.trades {
            if t[i] < 0 {
                return v(i, "trades", format!("trade count {} is negative", t[i]));
            }
        }
        if h < o.max(c) {
            return v(
                i,
                "high",
                format!("high {h} is below max(open {o}, close {c})"),
            );
        }
        if l > o.min(c) {
            return v(
                i,
                "low",
                format!("low {l} is above min(open {o}, close {c})"),
            );
        }
        let ts = bars.ts[i];
        if !crate::time::in_supported_range(ts) {
            return v(
                i,
                "ts",
                format!(
                    "timestamp {} ({ts} ms) is outside the supported range {}",
                    crate::time::format_ms(ts),
                    crate::time::SUPPORTED_RANGE
                ),
            );
        }
        if !interval.is_aligned(ts) {
            return v(
                i,
                "ts",
                format!(
                    "timestamp {} ({ts} ms) is not aligned to the {interval} interval",
                    crate::time::format_ms(ts)
                ),
            );
        }
        if i > 0 {
            let prev = bars.ts[i - 1];
            if ts == prev {
                return v(
                    i,
                    "ts",
                    format!("duplicate timestamp {}", crate::time::format_ms(ts)),
                );
            }
            if ts < prev {
                return v(
                    i,
                    "ts",
                    format!(
                        "timestamps not sorted: {} comes after {}",
                        crate::time::format_ms(ts),
                        crate::time::format_ms(prev)
                    ),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize) -> Bars {
        let mut b = Bars::with_capacity(n);
        for i in 0..n {
            b.ts.push(1_700_000_000_000 - 1_700_000_000_000 % 3_600_000 + i as i64 * 3_600_000);
            b.open.push(10.0);
            b.high.push(11.0);
            b.low.push(9.0);
            b.close.push(10.5);
            b.volume.push(1.0);
        }
        b
    }

    #[test]
    fn clean_bars_pass() {
        assert!(validate_bars(&bars(10), Interval::H1).is_ok());
    }

    #[test]
    fn each_violation_names_row_and_field() {
        type Mutation = Box<dyn Fn(&mut Bars)>;
        let cases: Vec<(Mutation, &str, usize, &str)> = vec![
            (
                Box::new(|b| b.close[3] = f64::NAN),
                "close",
                3,
                "not a finite",
            ),
            (
                Box::new(|b| b.open[3] = f64::INFINITY),
                "open",
                3,
                "not a finite",
            ),
            (Box::new(|b| b.high[3] = 10.2), "high", 3, "below max"),
            (Box::new(|b| b.low[3] = 10.2), "low", 3, "above min"),
            (Box::new(|b| b.volume[3] = -1.0), "volume", 3, "negative"),
            (Box::new(|b| b.low[3] = -1.0), "low", 3, "not positive"),
            (Box::new(|b| b.ts[3] += 1), "ts", 3, "not aligned"),
            (Box::new(|b| b.ts[3] = b.ts[2]), "ts", 3, "duplicate"),
            (Box::new(|b| b.ts.swap(3, 4)), "ts", 4, "not sorted"),
            (
                Box::new(|b| b.ts[3] = -3_600_000),
                "ts",
                3,
                "supported range",
            ),
            (
                Box::new(|b| b.ts[3] = 99_999_997_200_000),
                "ts",
                3,
                "supported range",
            ),
        ];
        for (mutate, field, row, text) in cases {
            let mut b = bars(10);
            mutate(&mut b);
            let err = validate_bars(&b, Interval::H1).unwrap_err();
            assert_eq!((err.field, err.row), (field, row), "{err}");
            assert!(err.message.contains(text), "{err}");
        }
    }
}
