//! Time splits, one definition for every command (training, evaluation, backtests, sweeps, the
//! test lock): test = the last `testDays` before the end of the data, val = the `valDays` before
//! that, train = everything before val minus a purge of `purgeBars` bars (the trainer's default
//! is its sequence length; elsewhere 0), optionally cut to the last `maxTrainDays`. Splits are
//! by time and shared by every symbol of a run.
use crate::Interval;
use serde::{Deserialize, Serialize};

pub const DAY_MS: i64 = 86_400_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct SplitConfig {
    /// Validation = the `valDays` before the test split.
    pub val_days: f64,
    /// Test = the last `testDays` of the data. Locked: one look, globally.
    pub test_days: f64,
    /// Bars dropped between the end of training windows and the validation split; `None` = the
    /// caller's default (the trainer: its sequence length).
    pub purge_bars: Option<usize>,
    /// Keep only the most recent N days of training bars (features still see older bars).
    pub max_train_days: Option<f64>,
}

impl Default for SplitConfig {
    fn default() -> Self {
        SplitConfig {
            val_days: 20.0,
            test_days: 20.0,
            purge_bars: None,
            max_train_days: None,
        }
    }
}

/// Split bounds as bar open times, each half-open `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitBounds {
    pub train_start: i64,
    pub train_end: i64,
    pub val_start: i64,
    pub val_end: i64,
    pub test_start: i64,
    pub test_end: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Split {
    Train,
    Val,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Val => "val",
            Split::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Split> {
        match s {
            "train" => Some(Split::Train),
            "val" => Some(Split::Val),
            "test" => Some(Split::Test),
            _ => None,
        }
    }
}

impl SplitBounds {
    /// Bounds for data whose bars open in `[first, last]`; `default_purge_bars` applies when the
    /// config gives none.
    pub fn compute(
        cfg: &SplitConfig,
        default_purge_bars: usize,
        interval: Interval,
        first: i64,
        last: i64,
    ) -> SplitBounds {
        let step = interval.ms();
        let day = |d: f64| (d * DAY_MS as f64).round() as i64;
        let end = last + step;
        let test_start = end - day(cfg.test_days);
        let val_start = test_start - day(cfg.val_days);
        let purge = cfg.purge_bars.unwrap_or(default_purge_bars) as i64 * step;
        let train_end = val_start - purge;
        let train_start = cfg
            .max_train_days
            .map_or(first, |d| (train_end - day(d)).max(first));
        SplitBounds {
            train_start,
            train_end,
            val_start,
            val_end: test_start,
            test_start,
            test_end: end,
        }
    }

    pub fn of(&self, split: Split) -> (i64, i64) {
        match split {
            Split::Train => (self.train_start, self.train_end),
            Split::Val => (self.val_start, self.val_end),
            Split::Test => (self.test_start, self.test_end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_ordered_purged_and_end_after_the_last_bar() {
        let h = 3_600_000;
        let cfg = SplitConfig {
            purge_bars: Some(5),
            ..SplitConfig::default()
        };
        let b = SplitBounds::compute(&cfg, 72, Interval::H1, 0, 100 * DAY_MS - h);
        assert_eq!(b.test_end, 100 * DAY_MS);
        assert_eq!(b.test_start, 80 * DAY_MS);
        assert_eq!((b.val_start, b.val_end), (60 * DAY_MS, 80 * DAY_MS));
        assert_eq!(b.train_end, 60 * DAY_MS - 5 * h);
        assert_eq!(b.train_start, 0);
        let d = SplitBounds::compute(
            &SplitConfig::default(),
            72,
            Interval::H1,
            0,
            100 * DAY_MS - h,
        );
        assert_eq!(
            d.train_end,
            60 * DAY_MS - 72 * h,
            "the caller's default purge"
        );
        assert_eq!(Split::parse("val"), Some(Split::Val));
        assert_eq!(Split::parse("nope"), None);
    }
}
