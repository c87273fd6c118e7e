//! NYSE trading days: holidays, early closes and session windows in UTC.
//!
//! Two sources, one answer per day:
//! - **exchange-hours** (crates.io, MIT-0): its NYSE holiday table is transcribed row by row from
//!   NYSE's own holiday pages and closure notices, with an evidence file per row. Inside that
//!   table's audited window (2010-01-01 ..= 2028-12-31 in exchange-hours 1.3) it decides every
//!   day except the [`TABLE_CORRECTIONS`] (one date it misses: 2018-12-05).
//! - **the NYSE rules** ([`rules_day`]) decide days outside that window, 1990 onward: the
//!   weekday-observed holidays of NYSE Rule 7.2, Good Friday from the Easter computus, the
//!   regular 13:00 early closes, and the few irregular closures and early closes (national days
//!   of mourning, 9/11, Hurricane Sandy, three one-off half days), as modelled by
//!   pandas_market_calendars' `NYSEExchangeCalendar`. A test checks the rules against the
//!   exchange-hours table on every day of its window, so both sources agree where they overlap.
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::America::New_York;
use exchange_hours::{calendar_for_exchange, Exchange, HolidayKind};
use std::sync::OnceLock;

pub(crate) const DAY_MS: i64 = 86_400_000;
const HOUR_S: u32 = 3_600;
/// Regular session 09:30–16:00 America/New_York, in seconds since local midnight.
pub const REGULAR_OPEN_SSM: u32 = 9 * HOUR_S + 30 * 60;
pub const REGULAR_CLOSE_SSM: u32 = 16 * HOUR_S;
/// The NYSE early close (13:00 since 1993).
pub const EARLY_CLOSE_SSM: u32 = 13 * HOUR_S;
/// Extended hours (NYSE Arca): 04:00–20:00, late session ending 17:00 on early-close days.
pub const EXTENDED_OPEN_SSM: u32 = 4 * HOUR_S;
pub const EXTENDED_CLOSE_SSM: u32 = 20 * HOUR_S;
pub const EXTENDED_EARLY_CLOSE_SSM: u32 = 17 * HOUR_S;

/// First and last year whose days are cached (others are computed on each call).
pub const CACHE_FIRST_YEAR: i32 = 1990;
pub const CACHE_LAST_YEAR: i32 = 2100;

/// A trading session: `[open_ms, close_ms)` in UTC milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Session {
    pub open_ms: i64,
    pub close_ms: i64,
}

impl Session {
    /// True when the interval `[bar_open_ms, bar_end_ms)` overlaps this session.
    #[inline]
    pub fn overlaps(&self, bar_open_ms: i64, bar_end_ms: i64) -> bool {
        self.open_ms < bar_end_ms && bar_open_ms < self.close_ms
    }
}

/// What kind of day a date is for the NYSE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayStatus {
    /// Saturday or Sunday.
    Weekend,
    /// A weekday without a session (holiday or special closure).
    Closed,
    /// 09:30–16:00.
    Regular,
    /// The session closes early (13:00 in every year covered).
    EarlyClose,
    /// The session opens late (only where the exchange-hours table says so).
    LateOpen,
}

/// Which source decided a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DaySource {
    /// The exchange-hours crate's NYSE table.
    ExchangeHours,
    /// The rule engine in this crate ([`rules_day`]).
    Rules,
}

/// One NYSE date with its sessions in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TradingDay {
    /// The America/New_York trade date.
    pub date: NaiveDate,
    pub status: DayStatus,
    /// Holiday or early-close name where the rules know one (`"Good Friday"`, `"Day after
    /// Thanksgiving"`), else `None`.
    pub reason: Option<&'static str>,
    pub source: DaySource,
    /// The regular session, `None` on weekends and closed days.
    pub regular: Option<Session>,
    /// The extended session (04:00 to 20:00, or 17:00 after an early close), `None` when closed.
    pub extended: Option<Session>,
}

impl TradingDay {
    pub fn is_trading_day(&self) -> bool {
        self.regular.is_some()
    }
}

/// UTC milliseconds of `date` at `ssm` seconds after midnight America/New_York.
pub fn ny_to_utc_ms(date: NaiveDate, ssm: u32) -> i64 {
    let naive: NaiveDateTime =
        date.and_time(chrono::NaiveTime::MIN) + Duration::seconds(i64::from(ssm));
    match New_York.from_local_datetime(&naive).earliest() {
        Some(t) => t.timestamp_millis(),
        // Inside a spring-forward gap (02:00–03:00 local, never a session boundary): the instant
        // one hour later on the wall clock is the same UTC instant as EST would give.
        None => naive.and_utc().timestamp_millis() + 5 * 3_600_000,
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Easter Sunday (Gregorian, anonymous "Meeus/Jones/Butcher" computus).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    ymd(year, month as u32, day as u32)
}

/// The `n`-th (1-based) `wd` of a month.
fn nth_weekday(year: i32, month: u32, wd: Weekday, n: u32) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, wd, n as u8)
}

fn last_weekday(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        ymd(year + 1, 1, 1)?
    } else {
        ymd(year, month + 1, 1)?
    };
    let mut d = first_next.pred_opt()?;
    while d.weekday() != wd {
        d = d.pred_opt()?;
    }
    Some(d)
}

/// A fixed-date holiday observed on Friday when it falls on Saturday and on Monday when on Sunday.
fn observed(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - Duration::days(1),
        Weekday::Sun => date + Duration::days(1),
        _ => date,
    }
}

/// Closures that no annual rule produces (days of mourning, attacks, storms), 1990 onward.
const SPECIAL_CLOSURES: &[((i32, u32, u32), &str)] = &[
    ((1994, 4, 27), "National Day of Mourning (Richard Nixon)"),
    ((2001, 9, 11), "September 11 attacks"),
    ((2001, 9, 12), "September 11 attacks"),
    ((2001, 9, 13), "September 11 attacks"),
    ((2001, 9, 14), "September 11 attacks"),
    ((2004, 6, 11), "National Day of Mourning (Ronald Reagan)"),
    ((2007, 1, 2), "National Day of Mourning (Gerald Ford)"),
    ((2012, 10, 29), "Hurricane Sandy"),
    ((2012, 10, 30), "Hurricane Sandy"),
    (
        (2018, 12, 5),
        "National Day of Mourning (George H. W. Bush)",
    ),
    ((2025, 1, 9), "National Day of Mourning (Jimmy Carter)"),
];

/// Early closes (13:00) that no annual rule produces.
const SPECIAL_EARLY_CLOSES: &[((i32, u32, u32), &str)] = &[
    ((1997, 12, 26), "Day after Christmas (1997)"),
    ((1999, 12, 31), "New Year's Eve 1999"),
    ((2003, 12, 26), "Day after Christmas (2003)"),
];

/// The rule-derived holidays and early closes of one year.
struct YearRules {
    closed: Vec<(NaiveDate, &'static str)>,
    early: Vec<(NaiveDate, &'static str)>,
}

fn year_rules(y: i32) -> YearRules {
    let mut closed: Vec<(Option<NaiveDate>, &'static str)> = Vec::with_capacity(16);
    // New Year's Day: Sunday -> Monday; a Saturday New Year's Day is not observed (Rule 7.2).
    closed.push((
        ymd(y, 1, 1).and_then(|d| {
            if d.weekday() == Weekday::Sat {
                None
            } else {
                Some(observed(d))
            }
        }),
        "New Year's Day",
    ));
    if y >= 1998 {
        closed.push((
            nth_weekday(y, 1, Weekday::Mon, 3),
            "Martin Luther King Jr. Day",
        ));
    }
    closed.push((nth_weekday(y, 2, Weekday::Mon, 3), "Washington's Birthday"));
    closed.push((
        easter_sunday(y).map(|e| e - Duration::days(2)),
        "Good Friday",
    ));
    closed.push((last_weekday(y, 5, Weekday::Mon), "Memorial Day"));
    if y >= 2022 {
        closed.push((ymd(y, 6, 19).map(observed), "Juneteenth"));
    }
    closed.push((ymd(y, 7, 4).map(observed), "Independence Day"));
    closed.push((nth_weekday(y, 9, Weekday::Mon, 1), "Labor Day"));
    let thanksgiving = nth_weekday(y, 11, Weekday::Thu, 4);
    closed.push((thanksgiving, "Thanksgiving Day"));
    closed.push((ymd(y, 12, 25).map(observed), "Christmas Day"));
    for ((yy, m, d), name) in SPECIAL_CLOSURES {
        if *yy == y {
            closed.push((ymd(*yy, *m, *d), name));
        }
    }

    let mut early: Vec<(Option<NaiveDate>, &'static str)> = Vec::with_capacity(4);
    if y >= 1993 {
        early.push((
            thanksgiving.map(|t| t + Duration::days(1)),
            "Day after Thanksgiving",
        ));
        // Christmas Eve on Monday..Thursday (a Friday Christmas Eve is the observed holiday).
        if let Some(eve) = ymd(y, 12, 24) {
            if !matches!(eve.weekday(), Weekday::Fri | Weekday::Sat | Weekday::Sun) {
                early.push((Some(eve), "Christmas Eve"));
            }
        }
    }
    if y >= 1995 {
        // July 3rd on Monday, Tuesday or Thursday; on a Wednesday (July 4th on Thursday) the half
        // day was Friday July 5th until 2012 and is Wednesday July 3rd from 2013.
        if let (Some(j3), Some(j5)) = (ymd(y, 7, 3), ymd(y, 7, 5)) {
            match j3.weekday() {
                Weekday::Mon | Weekday::Tue | Weekday::Thu => {
                    early.push((Some(j3), "Day before Independence Day"))
                }
                Weekday::Wed if y >= 2013 => early.push((Some(j3), "Day before Independence Day")),
                Weekday::Wed => early.push((Some(j5), "Day after Independence Day")),
                _ => {}
            }
        }
    }
    for ((yy, m, d), name) in SPECIAL_EARLY_CLOSES {
        if *yy == y {
            early.push((ymd(*yy, *m, *d), name));
        }
    }
    let keep = |v: Vec<(Option<NaiveDate>, &'static str)>| {
        v.into_iter()
            .filter_map(|(d, n)| d.map(|d| (d, n)))
            .collect()
    };
    YearRules {
        closed: keep(closed),
        early: keep(early),
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Builds a day from its status and local session bounds.
fn make_day(
    date: NaiveDate,
    status: DayStatus,
    reason: Option<&'static str>,
    source: DaySource,
    open_ssm: u32,
    close_ssm: u32,
) -> TradingDay {
    let (regular, extended) = match status {
        DayStatus::Weekend | DayStatus::Closed => (None, None),
        DayStatus::Regular | DayStatus::EarlyClose | DayStatus::LateOpen => {
            let ext_close = if close_ssm < REGULAR_CLOSE_SSM {
                EXTENDED_EARLY_CLOSE_SSM
            } else {
                EXTENDED_CLOSE_SSM
            };
            let reg = Session {
                open_ms: ny_to_utc_ms(date, open_ssm),
                close_ms: ny_to_utc_ms(date, close_ssm),
            };
            let ext = Session {
                open_ms: ny_to_utc_ms(date, EXTENDED_OPEN_SSM.min(open_ssm)),
                close_ms: ny_to_utc_ms(date, ext_close.max(close_ssm)),
            };
            (Some(reg), Some(ext))
        }
    };
    TradingDay {
        date,
        status,
        reason,
        source,
        regular,
        extended,
    }
}

fn rules_day_with(date: NaiveDate, rules: &YearRules) -> TradingDay {
    if is_weekend(date) {
        return make_day(date, DayStatus::Weekend, None, DaySource::Rules, 0, 0);
    }
    if let Some((_, name)) = rules.closed.iter().find(|(d, _)| *d == date) {
        return make_day(date, DayStatus::Closed, Some(name), DaySource::Rules, 0, 0);
    }
    if let Some((_, name)) = rules.early.iter().find(|(d, _)| *d == date) {
        return make_day(
            date,
            DayStatus::EarlyClose,
            Some(name),
            DaySource::Rules,
            REGULAR_OPEN_SSM,
            EARLY_CLOSE_SSM,
        );
    }
    make_day(
        date,
        DayStatus::Regular,
        None,
        DaySource::Rules,
        REGULAR_OPEN_SSM,
        REGULAR_CLOSE_SSM,
    )
}

/// The day as the rule engine alone sees it (no exchange-hours table). Public so the rules can be
/// checked against the table; use [`day`] for the calendar's answer.
pub fn rules_day(date: NaiveDate) -> TradingDay {
    rules_day_with(date, &year_rules(date.year()))
}

/// The exchange-hours table's verdict for `date`, or `None` outside its audited window (or for a
/// row kind this crate does not map, which then falls back to the rules).
fn table_day(date: NaiveDate, rules: &TradingDay) -> Option<TradingDay> {
    let cal = calendar_for_exchange(Exchange::Nyse);
    if !cal.holiday_coverage()?.contains(date) {
        return None;
    }
    let src = DaySource::ExchangeHours;
    if is_weekend(date) {
        return Some(make_day(date, DayStatus::Weekend, None, src, 0, 0));
    }
    let reason = rules.reason;
    let day = match cal.holiday_on(date).map(|h| h.kind()) {
        None => make_day(
            date,
            DayStatus::Regular,
            None,
            src,
            REGULAR_OPEN_SSM,
            REGULAR_CLOSE_SSM,
        ),
        Some(HolidayKind::Closed) => make_day(date, DayStatus::Closed, reason, src, 0, 0),
        Some(HolidayKind::EarlyClose { close_ssm }) => make_day(
            date,
            DayStatus::EarlyClose,
            reason,
            src,
            REGULAR_OPEN_SSM,
            close_ssm,
        ),
        Some(HolidayKind::LateOpen { open_ssm }) => make_day(
            date,
            DayStatus::LateOpen,
            reason,
            src,
            open_ssm,
            REGULAR_CLOSE_SSM,
        ),
        Some(HolidayKind::LateOpenAndEarlyClose {
            open_ssm,
            close_ssm,
        }) => make_day(
            date,
            DayStatus::EarlyClose,
            reason,
            src,
            open_ssm,
            close_ssm,
        ),
        Some(_) => return None,
    };
    Some(day)
}

/// Dates where the exchange-hours table (1.3.0) is wrong and the rules' answer is used instead.
/// 2018-12-05: NYSE closed for the national day of mourning for George H. W. Bush (NYSE notice of
/// 2018-12-01; LEAN's SPY hour bars have no bar that day); the table lists it as a regular day.
pub const TABLE_CORRECTIONS: &[(i32, u32, u32)] = &[(2018, 12, 5)];

fn compute_day(date: NaiveDate, rules: &YearRules) -> TradingDay {
    let r = rules_day_with(date, rules);
    if TABLE_CORRECTIONS
        .iter()
        .any(|&(y, m, d)| ymd(y, m, d) == Some(date))
    {
        return r;
    }
    table_day(date, &r).unwrap_or(r)
}

/// Days since 1970-01-01 of a date.
pub(crate) fn day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) - 719_163
}

fn date_of(dn: i64) -> Option<NaiveDate> {
    i32::try_from(dn + 719_163)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// The precomputed days of one year.
struct YearDays {
    first_dn: i64,
    days: Vec<TradingDay>,
}

const N_YEARS: usize = (CACHE_LAST_YEAR - CACHE_FIRST_YEAR + 1) as usize;
/// One lazily built table per year of [`CACHE_FIRST_YEAR`] ..= [`CACHE_LAST_YEAR`], so a run
/// pays only for the years it touches (well under a millisecond each).
static YEARS: [OnceLock<YearDays>; N_YEARS] = [const { OnceLock::new() }; N_YEARS];

fn year_days(year: i32) -> Option<&'static YearDays> {
    let slot = YEARS.get(usize::try_from(year - CACHE_FIRST_YEAR).ok()?)?;
    Some(slot.get_or_init(|| {
        let rules = year_rules(year);
        let days: Vec<TradingDay> = ymd(year, 1, 1)
            .map(|first| {
                first
                    .iter_days()
                    .take_while(|d| d.year() == year)
                    .map(|d| compute_day(d, &rules))
                    .collect()
            })
            .unwrap_or_default();
        let first_dn = days.first().map(|d| day_number(d.date)).unwrap_or(0);
        YearDays { first_dn, days }
    }))
}

/// The NYSE day for an America/New_York date.
pub fn day(date: NaiveDate) -> TradingDay {
    let cached = year_days(date.year()).and_then(|y| {
        y.days
            .get(usize::try_from(day_number(date) - y.first_dn).ok()?)
    });
    match cached {
        Some(d) => *d,
        None => compute_day(date, &year_rules(date.year())),
    }
}

/// The NYSE day for a day number (days since 1970-01-01 of the New York date); `None` only for
/// day numbers outside chrono's date range.
#[inline]
pub(crate) fn day_by_number(dn: i64) -> Option<TradingDay> {
    date_of(dn).map(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter() {
        let e = |y| easter_sunday(y).unwrap().to_string();
        assert_eq!(e(2024), "2024-03-31");
        assert_eq!(e(2019), "2019-04-21");
        assert_eq!(e(2000), "2000-04-23");
        assert_eq!(e(2025), "2025-04-20");
        assert_eq!(e(2038), "2038-04-25");
    }

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 29).unwrap();
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()), 0);
        assert_eq!(date_of(day_number(d)), Some(d));
    }
}
