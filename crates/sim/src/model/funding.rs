//! Perpetual funding. At each funding time the holder of a position of signed size `q` receives
//! `−q × mark × rate`: with a positive rate longs pay and shorts receive.
//!
//! A funding event at time F settles at the close of the bar whose span `(open, open + interval]`
//! contains F (so 08:00 funding lands on the 07:00–08:00 bar of an hourly clock), on the position
//! held at that close and the mark price's close of that bar where a mark series is stored,
//! else the bar's close.

/// Cash received by the position holder (negative = paid).
#[inline(always)]
pub fn payment(position: f64, mark: f64, rate: f64) -> f64 {
    -position * mark * rate
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_receives_positive_funding() {
        assert_eq!(super::payment(-2.0, 100.0, 0.0001), 0.02);
        assert_eq!(super::payment(2.0, 100.0, 0.0001), -0.02);
        assert_eq!(super::payment(2.0, 100.0, -0.0001), 0.02);
    }
}
