//! Gap reports: missing bars are not errors, but the user must see them.
use crate::{time::format_ms, Interval};
use serde::Serialize;

/// One run of missing bars between two stored bars.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapSpan {
    /// Open time of the last bar before the gap (ms).
    pub after: i64,
    /// Open time of the first bar after the gap (ms).
    pub before: i64,
    /// Number of bars missing in between.
    pub missing: i64,
}

impl GapSpan {
    pub fn describe(&self) -> String {
        format!(
            "{} missing bar(s) between {} and {}",
            self.missing,
            format_ms(self.after),
            format_ms(self.before)
        )
    }
}

/// Summary of gaps in a sorted timestamp column.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GapReport {
    /// Number of gaps (runs of missing bars).
    pub count: usize,
    /// Total bars missing.
    pub missing_bars: i64,
    /// The longest gap, if any.
    pub longest: Option<GapSpan>,
    /// The first gaps in time order (at most `LISTED`).
    pub first: Vec<GapSpan>,
}

impl GapReport {
    pub const LISTED: usize = 20;

    /// Scans sorted, aligned timestamps.
    pub fn scan(ts: &[i64], interval: Interval) -> GapReport {
        let step = interval.ms();
        let mut r = GapReport::default();
        for w in ts.windows(2) {
            let d = w[1] - w[0];
            if d > step {
                let span = GapSpan {
                    after: w[0],
                    before: w[1],
                    missing: d / step - 1,
                };
                r.count += 1;
                r.missing_bars += span.missing;
                if r.longest.as_ref().is_none_or(|l| span.missing > l.missing) {
                    r.longest = Some(span.clone());
                }
                if r.first.len() < Self::LISTED {
                    r.first.push(span);
                }
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_gaps() {
        let h = 3_600_000;
        let ts = [0, h, 4 * h, 5 * h, 7 * h];
        let r = GapReport::scan(&ts, Interval::H1);
        assert_eq!(r.count, 2);
        assert_eq!(r.missing_bars, 3);
        assert_eq!(
            r.longest.unwrap(),
            GapSpan {
                after: h,
                before: 4 * h,
                missing: 2
            }
        );
        assert_eq!(GapReport::scan(&[0, h, 2 * h], Interval::H1).count, 0);
    }
}
