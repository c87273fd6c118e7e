//! Trading calendars: when an instrument's market is open, which bars may fill, where a session
//! ends, and how many bars a year has for annualisation.
//!
//! - [`Calendar::Always`]: crypto, 24/7, every bar is open, `P = 365 days / interval` (8 760 for
//!   1h).
//! - [`Calendar::Nyse`]: US equities, 09:30–16:00 America/New_York on NYSE trading days, with NYSE
//!   holidays, special closures and 13:00 early closes (see [`nyse`] for the sources), and an
//!   optional extended session (04:00–20:00, 17:00 after an early close).
//!
//! **Bar convention.** A bar is identified by its OPEN time `ts` in UTC milliseconds (the store's
//! convention) and covers `[ts, ts + interval_ms)`. A bar is *in session* when that interval
//! overlaps a session `[open, close)` by at least one millisecond. So with 1h bars the 09:00 ET bar
//! (09:00–10:00, half of it before the 09:30 open) is in session and is the session's first bar,
//! the 15:00 bar is the last one, the 16:00 bar is not in session, and an early-close day
//! (13:00) ends with the 12:00 bar: 7 hourly bars on a full day, 4 on a half day. This is how
//! QuantConnect LEAN labels its equity hour bars (bar start floored to the hour, 09:00 bar =
//! 09:30–10:00). [`Calendar::bar_session`] tells how much of a bar lies in the session.
//!
//! `interval_ms` below 1 is treated as 1 (an instant).
pub mod asset;
pub mod nyse;

pub use asset::{asset_class, classify, AssetClass};
pub use nyse::{DaySource, DayStatus, Session, TradingDay};

use chrono::NaiveDate;
use nyse::DAY_MS;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::sync::Mutex;
use thiserror::Error;
use tradelab_core::Symbol;

/// Errors of this crate.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CalendarError {
    #[error("cannot tell whether '{0}' is a crypto pair or a stock ticker, so its trading calendar is unknown: write crypto pairs as BASE/QUOTE (e.g. BTC/USDT), stocks as tickers (e.g. AAPL)")]
    UnknownAssetClass(String),
    #[error("unknown calendar '{0}' (expected 24/7, nyse or nyse-extended)")]
    UnknownCalendar(String),
}

impl tradelab_core::ErrorCode for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            CalendarError::UnknownAssetClass(_) => "CALENDAR_UNKNOWN_ASSET_CLASS",
            CalendarError::UnknownCalendar(_) => "CALENDAR_UNKNOWN",
        }
    }
}

/// The years whose mean bar count per year is [`Calendar::periods_per_year`] for NYSE calendars:
/// 30 full years, each checked against a source (LEAN's SPY hour bars for 1998–2020, the
/// exchange-hours NYSE table for 2010–2028).
pub const PERIODS_SPAN: RangeInclusive<i32> = 1998..=2027;

const HOUR_MS: i64 = 3_600_000;

/// When an instrument trades. Parses from and prints as `24/7`, `nyse`, `nyse-extended`
/// ([`FromStr`], [`fmt::Display`]); serialises as `"Always"` / `{"Nyse":{"extended":false}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Calendar {
    /// Crypto: 24/7, no sessions, no holidays.
    Always,
    /// US equities: NYSE trading days, regular hours 09:30–16:00 America/New_York, or with
    /// `extended` the whole 04:00–20:00 day (17:00 after an early close).
    Nyse { extended: bool },
}

/// Where a bar falls relative to the session it overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BarSession {
    /// The session the bar overlaps (for [`Calendar::Always`], the bar itself).
    pub session: Session,
    /// How many milliseconds of the bar lie inside the session (`interval_ms` for a full bar).
    pub overlap_ms: i64,
    /// The bar contains the session open (it is the session's first bar).
    pub first: bool,
    /// The bar reaches the session close (it is the session's last bar).
    pub last: bool,
}

impl BarSession {
    /// True when part of the bar lies outside the session (e.g. the 09:00 bar of a 09:30 open).
    pub fn partial(&self, interval_ms: i64) -> bool {
        self.overlap_ms < interval_ms.max(1)
    }
}

impl Calendar {
    /// NYSE regular hours.
    pub const NYSE: Calendar = Calendar::Nyse { extended: false };

    /// The calendar of a symbol: crypto → [`Calendar::Always`], US stock → NYSE regular hours.
    /// Classification follows [`asset::classify`] (the rules of `ts/src/symbols.ts`).
    pub fn for_symbol(symbol: &Symbol) -> Result<Calendar, CalendarError> {
        Ok(Self::for_asset_class(asset_class(symbol)?))
    }

    /// [`Calendar::Always`] for crypto, NYSE regular hours for stocks.
    pub fn for_asset_class(class: AssetClass) -> Calendar {
        match class {
            AssetClass::Crypto => Calendar::Always,
            AssetClass::Stock => Calendar::NYSE,
        }
    }

    /// `"24/7"`, `"NYSE regular hours"` or `"NYSE extended hours"`.
    pub fn label(&self) -> &'static str {
        match self {
            Calendar::Always => "24/7",
            Calendar::Nyse { extended: false } => "NYSE regular hours",
            Calendar::Nyse { extended: true } => "NYSE extended hours",
        }
    }

    /// True when the calendar has sessions (bars can fall outside them).
    pub fn has_sessions(&self) -> bool {
        !matches!(self, Calendar::Always)
    }

    /// The NYSE day of an America/New_York date; `None` for [`Calendar::Always`].
    pub fn trading_day(&self, date: NaiveDate) -> Option<TradingDay> {
        match self {
            Calendar::Always => None,
            Calendar::Nyse { .. } => Some(nyse::day(date)),
        }
    }

    #[inline]
    fn pick(&self, day: &TradingDay) -> Option<Session> {
        match self {
            Calendar::Always => None,
            Calendar::Nyse { extended: false } => day.regular,
            Calendar::Nyse { extended: true } => day.extended,
        }
    }

    /// Calls `f` with each session that overlaps `[t, end)`, in time order, until `f` returns true.
    #[inline]
    fn find_session(&self, t: i64, end: i64, mut f: impl FnMut(Session) -> bool) -> bool {
        // A New York day `d` has its sessions inside UTC [d·D + 8h, d·D + 25h).
        let lo = t.saturating_sub(25 * HOUR_MS).div_euclid(DAY_MS);
        let hi = end.saturating_sub(1).div_euclid(DAY_MS);
        for dn in lo..=hi {
            if let Some(day) = nyse::day_by_number(dn) {
                if let Some(s) = self.pick(&day) {
                    if s.overlaps(t, end) && f(s) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// True when the bar `[bar_open_ms, bar_open_ms + interval_ms)` overlaps a session, i.e. it
    /// may fill. Always true for [`Calendar::Always`].
    #[inline]
    pub fn is_open(&self, bar_open_ms: i64, interval_ms: i64) -> bool {
        match self {
            Calendar::Always => true,
            Calendar::Nyse { .. } => self.find_session(
                bar_open_ms,
                bar_open_ms.saturating_add(interval_ms.max(1)),
                |_| true,
            ),
        }
    }

    /// The session a bar overlaps (the first one, should a long bar span several), with how much
    /// of the bar it covers; `None` when the bar is outside every session.
    pub fn bar_session(&self, bar_open_ms: i64, interval_ms: i64) -> Option<BarSession> {
        let iv = interval_ms.max(1);
        let end = bar_open_ms.saturating_add(iv);
        if let Calendar::Always = self {
            let session = Session {
                open_ms: bar_open_ms,
                close_ms: end,
            };
            return Some(BarSession {
                session,
                overlap_ms: iv,
                first: false,
                last: false,
            });
        }
        let mut found = None;
        self.find_session(bar_open_ms, end, |s| {
            found = Some(s);
            true
        });
        found.map(|s| BarSession {
            session: s,
            overlap_ms: s.close_ms.min(end) - s.open_ms.max(bar_open_ms),
            first: s.open_ms >= bar_open_ms,
            last: s.close_ms <= end,
        })
    }

    /// True when the bar is the last bar of a session (it overlaps the session and reaches its
    /// close): where an optional end-of-day close happens, at this bar's close. With 1h bars that
    /// is the 15:00 ET bar, or the 12:00 bar on a 13:00 early-close day. Always false for
    /// [`Calendar::Always`] (no session ends).
    pub fn is_session_last_bar(&self, bar_open_ms: i64, interval_ms: i64) -> bool {
        match self {
            Calendar::Always => false,
            Calendar::Nyse { .. } => {
                let end = bar_open_ms.saturating_add(interval_ms.max(1));
                self.find_session(bar_open_ms, end, |s| s.close_ms <= end)
            }
        }
    }

    /// [`Calendar::is_open`] for every bar open time in `ts` (any order; fastest when sorted:
    /// the sessions of the days a bar can touch are reused, without a division, while the next
    /// bar touches the same days).
    pub fn session_mask(&self, ts: &[i64], interval_ms: i64) -> Vec<bool> {
        const SLOTS: usize = 4;
        if let Calendar::Always = self {
            return vec![true; ts.len()];
        }
        let iv = interval_ms.max(1);
        // The day range [lo, hi] stays the same while t ∈ [t_from, t_to) and end-1 ∈ [e_from, e_to).
        let (mut t_from, mut t_to, mut e_from, mut e_to) = (1i64, 0i64, 1i64, 0i64);
        let mut sessions = [(0i64, 0i64); SLOTS];
        let mut n = 0usize;
        // The days looked up last (day number, session), reused by the next refill.
        let mut days = [(i64::MIN, None::<Session>); SLOTS];
        ts.iter()
            .map(|&t| {
                let end = t.saturating_add(iv);
                let e1 = end.saturating_sub(1);
                if !(t >= t_from && t < t_to && e1 >= e_from && e1 < e_to) {
                    let shifted = t.saturating_sub(25 * HOUR_MS);
                    let lo = shifted.div_euclid(DAY_MS);
                    let hi = e1.div_euclid(DAY_MS);
                    if hi - lo >= SLOTS as i64 {
                        t_to = t_from; // invalidate
                        return self.is_open(t, iv);
                    }
                    t_from = t - shifted.rem_euclid(DAY_MS);
                    t_to = t_from.saturating_add(DAY_MS);
                    e_from = hi.saturating_mul(DAY_MS);
                    e_to = e_from.saturating_add(DAY_MS);
                    n = 0;
                    let mut next = [(i64::MIN, None::<Session>); SLOTS];
                    for (slot, dn) in next.iter_mut().zip(lo..=hi) {
                        let session = match days.iter().find(|(d, _)| *d == dn) {
                            Some(&(_, s)) => s,
                            None => nyse::day_by_number(dn).and_then(|d| self.pick(&d)),
                        };
                        *slot = (dn, session);
                        if let Some(s) = session {
                            sessions[n] = (s.open_ms, s.close_ms);
                            n += 1;
                        }
                    }
                    days = next;
                }
                sessions[..n].iter().any(|&(o, c)| o < end && t < c)
            })
            .collect()
    }

    /// [`Calendar::is_session_last_bar`] for every bar open time in `ts`.
    pub fn session_last_mask(&self, ts: &[i64], interval_ms: i64) -> Vec<bool> {
        match self {
            Calendar::Always => vec![false; ts.len()],
            Calendar::Nyse { .. } => ts
                .iter()
                .map(|&t| self.is_session_last_bar(t, interval_ms))
                .collect(),
        }
    }

    /// Bars of `interval_ms` (aligned to the UTC epoch, as in the store) that are in session
    /// during the New York dates of `years`, each bar counted once.
    pub fn bars_in_years(&self, years: RangeInclusive<i32>, interval_ms: i64) -> u64 {
        let iv = interval_ms.max(1);
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(*years.start(), 1, 1),
            NaiveDate::from_ymd_opt(*years.end(), 12, 31),
        ) else {
            return 0;
        };
        if let Calendar::Always = self {
            let days = nyse::day_number(last) - nyse::day_number(first) + 1;
            return ((days * DAY_MS) / iv).max(0) as u64;
        }
        let mut count = 0u64;
        let mut last_bar = i64::MIN;
        for dn in nyse::day_number(first)..=nyse::day_number(last) {
            let Some(s) = nyse::day_by_number(dn).and_then(|d| self.pick(&d)) else {
                continue;
            };
            let a = s.open_ms.div_euclid(iv).max(last_bar.saturating_add(1));
            let b = (s.close_ms - 1).div_euclid(iv);
            if b >= a {
                count += (b - a + 1) as u64;
                last_bar = b;
            }
        }
        count
    }

    /// Periods per year P for annualising per-bar statistics of bars of `interval_ms`.
    ///
    /// - [`Calendar::Always`]: `365 × 24h / interval` (8 760 for 1h), as `Interval::periods_per_year`.
    /// - NYSE: the mean number of in-session bars per year over [`PERIODS_SPAN`] (1998–2027),
    ///   counted from this calendar: trading days × bars per session, with half days counted
    ///   with their own bar count: 1 754.0 for 1h regular hours (251.5 days × 7 bars, 4 on half
    ///   days), 251.5 for 1d, 3 256.5 for 30m.
    pub fn periods_per_year(&self, interval_ms: i64) -> f64 {
        let iv = interval_ms.max(1);
        match self {
            Calendar::Always => 365.0 * DAY_MS as f64 / iv as f64,
            Calendar::Nyse { .. } => {
                // Counting 30 years of days takes about a millisecond; remember the answers.
                static MEMO: Mutex<Vec<(Calendar, i64, f64)>> = Mutex::new(Vec::new());
                let hit = MEMO.lock().ok().and_then(|m| {
                    m.iter()
                        .find(|(c, i, _)| c == self && *i == iv)
                        .map(|e| e.2)
                });
                if let Some(p) = hit {
                    return p;
                }
                let years = (PERIODS_SPAN.end() - PERIODS_SPAN.start() + 1) as f64;
                let p = self.bars_in_years(PERIODS_SPAN, iv) as f64 / years;
                if let Ok(mut m) = MEMO.lock() {
                    m.push((*self, iv, p));
                }
                p
            }
        }
    }

    /// A label stating P and where it comes from, for result labels, e.g.
    /// `"P=8760 (24/7, 365 days)"` or `"P=1754.0 (NYSE regular hours, mean 1998-2027)"`.
    pub fn periods_label(&self, interval_ms: i64) -> String {
        let p = self.periods_per_year(interval_ms);
        match self {
            Calendar::Always => format!("P={p} ({}, 365 days)", self.label()),
            Calendar::Nyse { .. } => {
                format!(
                    "P={p:.1} ({}, mean {}-{})",
                    self.label(),
                    PERIODS_SPAN.start(),
                    PERIODS_SPAN.end()
                )
            }
        }
    }
}

impl FromStr for Calendar {
    type Err = CalendarError;
    /// `24/7` (also `always`, `crypto`), `nyse`, `nyse-extended`; case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "24/7" | "always" | "crypto" => Ok(Calendar::Always),
            "nyse" => Ok(Calendar::NYSE),
            "nyse-extended" => Ok(Calendar::Nyse { extended: true }),
            _ => Err(CalendarError::UnknownCalendar(s.to_string())),
        }
    }
}

impl fmt::Display for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Calendar::Always => "24/7",
            Calendar::Nyse { extended: false } => "nyse",
            Calendar::Nyse { extended: true } => "nyse-extended",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for c in [
            Calendar::Always,
            Calendar::NYSE,
            Calendar::Nyse { extended: true },
        ] {
            assert_eq!(c.to_string().parse::<Calendar>(), Ok(c));
        }
        assert_eq!("Crypto".parse::<Calendar>(), Ok(Calendar::Always));
        assert!(matches!(
            "lse".parse::<Calendar>(),
            Err(CalendarError::UnknownCalendar(_))
        ));
        let json = serde_json::to_string(&Calendar::NYSE).unwrap();
        assert_eq!(json, r#"{"Nyse":{"extended":false}}"#);
        assert_eq!(
            serde_json::from_str::<Calendar>(&json).unwrap(),
            Calendar::NYSE
        );
        assert_eq!(
            serde_json::to_string(&Calendar::Always).unwrap(),
            r#""Always""#
        );
    }
}
