//! Walk-forward folds, one definition for every command that walks forward (rule sweeps, policy
//! overrides, later studies). Out-of-sample windows of `oosDays` tile the span backwards from its
//! end; each fold's in-sample part ends `purgeBars` bars before its out-of-sample window starts
//! (anchored: from the span's first bar; rolling: the `inSampleDays` before that), and
//! consecutive out-of-sample windows are `embargoBars` bars apart. In-sample always precedes
//! out-of-sample, so nothing a fold chooses has seen its out-of-sample bars.
use crate::splits::DAY_MS;
use crate::Interval;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FoldMode {
    /// In-sample grows: every fold starts at the span's first bar.
    Anchored,
    /// In-sample slides: the `inSampleDays` before each out-of-sample window.
    Rolling,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FoldConfig {
    pub mode: FoldMode,
    /// Length of each out-of-sample window.
    pub oos_days: f64,
    /// Rolling: the in-sample length. Anchored: the shortest first in-sample part.
    pub in_sample_days: f64,
    /// At most this many folds (the most recent ones); default: as many as fit.
    #[serde(default)]
    pub folds: Option<usize>,
    /// Bars between each in-sample end and its out-of-sample start, in neither part: decisions
    /// (and labels) near the in-sample end look this far ahead.
    #[serde(default)]
    pub purge_bars: usize,
    /// Bars left out between consecutive out-of-sample windows (counted in neither fold's
    /// out-of-sample result, still part of later in-sample parts): keeps serially correlated
    /// bars at a boundary from counting in two adjacent verdicts.
    #[serde(default)]
    pub embargo_bars: usize,
}

/// One fold as bar open times, each part half-open `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoldBounds {
    pub in_sample_start: i64,
    pub in_sample_end: i64,
    pub oos_start: i64,
    pub oos_end: i64,
}

impl FoldConfig {
    /// The folds of a span whose bars open in `[first, last]`, oldest first. An error says what
    /// does not fit.
    pub fn folds(
        &self,
        interval: Interval,
        first: i64,
        last: i64,
    ) -> Result<Vec<FoldBounds>, String> {
        let day = |d: f64| (d * DAY_MS as f64).round() as i64;
        if !(self.oos_days.is_finite() && self.oos_days > 0.0) {
            return Err(format!(
                "oosDays must be a positive number of days (got {})",
                self.oos_days
            ));
        }
        if !(self.in_sample_days.is_finite() && self.in_sample_days > 0.0) {
            return Err(format!(
                "inSampleDays must be a positive number of days (got {})",
                self.in_sample_days
            ));
        }
        if self.folds == Some(0) {
            return Err("folds must be at least 1".into());
        }
        let step = interval.ms();
        let (oos, is_len) = (day(self.oos_days), day(self.in_sample_days));
        let (purge, embargo) = (
            self.purge_bars as i64 * step,
            self.embargo_bars as i64 * step,
        );
        let mut out = Vec::new();
        let mut oos_end = last + step;
        loop {
            if self.folds.is_some_and(|n| out.len() >= n) {
                break;
            }
            let oos_start = oos_end - oos;
            let in_sample_end = oos_start - purge;
            let in_sample_start = match self.mode {
                FoldMode::Anchored => first,
                FoldMode::Rolling => in_sample_end - is_len,
            };
            if in_sample_start < first || in_sample_end - in_sample_start < is_len {
                break;
            }
            out.push(FoldBounds {
                in_sample_start,
                in_sample_end,
                oos_start,
                oos_end,
            });
            oos_end = oos_start - embargo;
        }
        if out.is_empty() {
            let need = is_len + purge + oos;
            return Err(format!(
                "no fold fits: one needs inSampleDays {} + purge {} bars + oosDays {} = {:.1} days, the span has {:.1}",
                self.in_sample_days,
                self.purge_bars,
                self.oos_days,
                need as f64 / DAY_MS as f64,
                (last + step - first) as f64 / DAY_MS as f64
            ));
        }
        out.reverse();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn cfg(mode: FoldMode) -> FoldConfig {
        FoldConfig {
            mode,
            oos_days: 10.0,
            in_sample_days: 30.0,
            folds: None,
            purge_bars: 2,
            embargo_bars: 1,
        }
    }

    #[test]
    fn rolling_folds_tile_backwards_with_purge_and_embargo() {
        let f = cfg(FoldMode::Rolling)
            .folds(Interval::H1, 0, 100 * DAY_MS - H)
            .unwrap();
        let last = f.last().unwrap();
        assert_eq!(last.oos_end, 100 * DAY_MS);
        assert_eq!(last.oos_start, 90 * DAY_MS);
        assert_eq!(last.in_sample_end, 90 * DAY_MS - 2 * H);
        assert_eq!(last.in_sample_start, 60 * DAY_MS - 2 * H);
        for w in f.windows(2) {
            assert_eq!(w[1].oos_start - w[0].oos_end, H, "embargo of one bar");
            assert!(w[0].oos_end <= w[1].in_sample_end + 2 * H + H);
        }
        for x in &f {
            assert!(x.in_sample_start >= 0);
            assert!(
                x.in_sample_end < x.oos_start,
                "in-sample precedes out-of-sample"
            );
            assert_eq!(x.in_sample_end - x.in_sample_start, 30 * DAY_MS);
        }
        // 100 days: 30 in-sample + 2 purge bars, then 10-day windows one bar apart: 6 fit.
        assert_eq!(f.len(), 6);
    }

    #[test]
    fn anchored_folds_start_at_the_first_bar_and_respect_the_fold_limit() {
        let mut c = cfg(FoldMode::Anchored);
        c.folds = Some(3);
        let f = c.folds(Interval::H1, 0, 100 * DAY_MS - H).unwrap();
        assert_eq!(f.len(), 3);
        assert!(f.iter().all(|x| x.in_sample_start == 0));
        assert!(f[0].in_sample_end < f[1].in_sample_end);
        assert_eq!(f[2].oos_end, 100 * DAY_MS);
    }

    #[test]
    fn a_span_too_short_for_one_fold_says_why() {
        let e = cfg(FoldMode::Rolling)
            .folds(Interval::H1, 0, 20 * DAY_MS)
            .unwrap_err();
        assert!(e.contains("no fold fits"), "{e}");
        let mut c = cfg(FoldMode::Rolling);
        c.oos_days = 0.0;
        assert!(c
            .folds(Interval::H1, 0, 100 * DAY_MS)
            .unwrap_err()
            .contains("oosDays"));
    }
}
