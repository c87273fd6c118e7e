//! Financing costs, charged at each bar's close for the bar's length:
//! * margin interest on borrowed cash (cash below 0, from leveraged buys) at `margin_rate` per year;
//! * borrow cost on spot shorts at `borrow_rate` per year of the short's notional at the close.
//!
//! Perpetual shorts pay no borrow cost (funding replaces it).

pub const MS_PER_YEAR: f64 = 365.0 * 86_400_000.0;

/// Interest owed for one bar on `cash` (0 unless cash < 0).
#[inline(always)]
pub fn margin_interest(cash: f64, annual_rate: f64, interval_ms: i64) -> f64 {
    if cash < 0.0 && annual_rate > 0.0 {
        -cash * annual_rate * interval_ms as f64 / MS_PER_YEAR
    } else {
        0.0
    }
}

/// Borrow cost for one bar of a spot position `q` marked at `close` (0 unless short).
#[inline(always)]
pub fn borrow_cost(q: f64, close: f64, annual_rate: f64, interval_ms: i64) -> f64 {
    if q < 0.0 && annual_rate > 0.0 {
        -q * close * annual_rate * interval_ms as f64 / MS_PER_YEAR
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_only_on_debt_and_shorts() {
        assert_eq!(margin_interest(100.0, 0.1, 3_600_000), 0.0);
        let h = margin_interest(-8760.0, 0.1, 3_600_000);
        assert!((h - 0.1).abs() < 1e-12);
        assert_eq!(borrow_cost(1.0, 100.0, 0.1, 3_600_000), 0.0);
        assert!((borrow_cost(-87.6, 100.0, 0.1, 3_600_000) - 0.1).abs() < 1e-12);
    }
}
