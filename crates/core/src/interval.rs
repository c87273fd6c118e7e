use crate::CoreError;
use std::fmt;
use std::str::FromStr;

/// A bar interval. Only intervals that divide a UTC day evenly are supported, so alignment can be
/// checked with `ts % ms == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    ms: i64,
}

const KNOWN: &[(&str, i64)] = &[
    ("1m", 60_000),
    ("3m", 180_000),
    ("5m", 300_000),
    ("15m", 900_000),
    ("30m", 1_800_000),
    ("1h", 3_600_000),
    ("2h", 7_200_000),
    ("4h", 14_400_000),
    ("6h", 21_600_000),
    ("8h", 28_800_000),
    ("12h", 43_200_000),
    ("1d", 86_400_000),
];

impl Interval {
    pub const H1: Interval = Interval { ms: 3_600_000 };

    /// Length of one bar in milliseconds.
    pub fn ms(self) -> i64 {
        self.ms
    }

    /// Bars per year (365 days), used to annualise per-bar statistics (8,760 for 1h).
    pub fn periods_per_year(self) -> f64 {
        365.0 * 86_400_000.0 / self.ms as f64
    }

    /// The known interval of exactly `ms` milliseconds, if any.
    pub fn from_ms(ms: i64) -> Option<Interval> {
        KNOWN
            .iter()
            .find(|(_, m)| *m == ms)
            .map(|(_, m)| Interval { ms: *m })
    }

    pub fn name(self) -> &'static str {
        KNOWN
            .iter()
            .find(|(_, ms)| *ms == self.ms)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// True when `ts` (ms) is the open time of a bar of this interval.
    pub fn is_aligned(self, ts: i64) -> bool {
        ts.rem_euclid(self.ms) == 0
    }
}

impl FromStr for Interval {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        KNOWN
            .iter()
            .find(|(n, _)| *n == t)
            .map(|(_, ms)| Interval { ms: *ms })
            .ok_or_else(|| CoreError::UnknownInterval(s.to_string()))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let i: Interval = "1h".parse().unwrap();
        assert_eq!(i.ms(), 3_600_000);
        assert_eq!(i.to_string(), "1h");
        assert_eq!(i.periods_per_year(), 8760.0);
        assert!("7m".parse::<Interval>().is_err());
    }

    #[test]
    fn alignment() {
        let i = Interval::H1;
        assert!(i.is_aligned(1_514_764_800_000));
        assert!(!i.is_aligned(1_514_764_800_001));
    }
}
