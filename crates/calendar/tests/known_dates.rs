//! Known NYSE dates, DST weeks, weekends, early closes and crypto, plus the rule engine checked
//! against the exchange-hours NYSE table on every day of its window.
use chrono::{Datelike, NaiveDate, TimeZone, Utc, Weekday};
use tradelab_calendar::nyse::{self, rules_day};
use tradelab_calendar::{AssetClass, Calendar, DaySource, DayStatus};
use tradelab_core::Symbol;

const H: i64 = 3_600_000;
const NYSE: Calendar = Calendar::NYSE;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// UTC ms of a UTC wall-clock time.
fn utc(y: i32, m: u32, day: u32, h: u32, min: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, day, h, min, 0)
        .unwrap()
        .timestamp_millis()
}

/// Open times (UTC hour) of the in-session 1h bars of a New York date.
fn open_hours_utc(date: NaiveDate) -> Vec<u32> {
    (0..24)
        .filter(|h| NYSE.is_open(utc(date.year(), date.month(), date.day(), *h, 0), H))
        .collect()
}

#[test]
fn holidays_2024() {
    let closed = [
        (d(2024, 1, 1), "New Year's Day"),
        (d(2024, 1, 15), "Martin Luther King Jr. Day"),
        (d(2024, 2, 19), "Washington's Birthday"),
        (d(2024, 3, 29), "Good Friday"),
        (d(2024, 5, 27), "Memorial Day"),
        (d(2024, 6, 19), "Juneteenth"),
        (d(2024, 7, 4), "Independence Day"),
        (d(2024, 9, 2), "Labor Day"),
        (d(2024, 11, 28), "Thanksgiving Day"),
        (d(2024, 12, 25), "Christmas Day"),
    ];
    for (date, name) in closed {
        let day = nyse::day(date);
        assert_eq!(day.status, DayStatus::Closed, "{date}");
        assert_eq!(day.reason, Some(name), "{date}");
        assert_eq!(day.source, DaySource::ExchangeHours, "{date}");
        assert!(open_hours_utc(date).is_empty(), "{date}");
    }
    // Every other 2024 weekday trades: 262 weekdays - 10 holidays = 252 sessions.
    let sessions = (1..=366)
        .filter_map(|o| NaiveDate::from_yo_opt(2024, o))
        .filter(|x| nyse::day(*x).is_trading_day())
        .count();
    assert_eq!(sessions, 252);
    assert!(NYSE.trading_day(d(2024, 3, 28)).unwrap().is_trading_day());
    assert!(NYSE.trading_day(d(2024, 4, 1)).unwrap().is_trading_day());
}

#[test]
fn juneteenth_from_2022_with_weekend_observance() {
    assert_eq!(
        rules_day(d(2021, 6, 18)).status,
        DayStatus::Regular,
        "not yet observed in 2021"
    );
    assert_eq!(
        nyse::day(d(2022, 6, 20)).status,
        DayStatus::Closed,
        "2022: Sunday -> Monday"
    );
    assert_eq!(nyse::day(d(2023, 6, 19)).status, DayStatus::Closed);
    assert_eq!(nyse::day(d(2026, 6, 19)).status, DayStatus::Closed);
    assert_eq!(
        nyse::day(d(2027, 6, 18)).status,
        DayStatus::Closed,
        "2027: Saturday -> Friday"
    );
    assert_eq!(
        rules_day(d(2033, 6, 20)).status,
        DayStatus::Closed,
        "2033: Sunday -> Monday, rules"
    );
}

#[test]
fn early_close_2024_11_29() {
    let day = nyse::day(d(2024, 11, 29));
    assert_eq!(day.status, DayStatus::EarlyClose);
    let s = day.regular.unwrap();
    // 09:30-13:00 EST = 14:30-18:00 UTC.
    assert_eq!(s.open_ms, utc(2024, 11, 29, 14, 30));
    assert_eq!(s.close_ms, utc(2024, 11, 29, 18, 0));
    assert_eq!(open_hours_utc(d(2024, 11, 29)), vec![14, 15, 16, 17]);
    assert!(
        NYSE.is_session_last_bar(utc(2024, 11, 29, 17, 0), H),
        "the 12:00 ET bar ends the half day"
    );
    assert!(!NYSE.is_session_last_bar(utc(2024, 11, 29, 16, 0), H));
    // Extended hours end at 17:00 ET after an early close.
    let ext = day.extended.unwrap();
    assert_eq!(ext.close_ms, utc(2024, 11, 29, 22, 0));
    // Other half days of 2024: July 3rd and Christmas Eve.
    assert_eq!(nyse::day(d(2024, 7, 3)).status, DayStatus::EarlyClose);
    assert_eq!(nyse::day(d(2024, 12, 24)).status, DayStatus::EarlyClose);
}

#[test]
fn dst_switch_weeks_shift_bars_by_one_hour_in_utc() {
    // 2024: DST starts Sunday 2024-03-10, ends Sunday 2024-11-03.
    let est = vec![14, 15, 16, 17, 18, 19, 20]; // 09:00..15:00 EST bars = 14:00..20:00 UTC
    let edt = vec![13, 14, 15, 16, 17, 18, 19]; // 09:00..15:00 EDT bars = 13:00..19:00 UTC
    assert_eq!(
        open_hours_utc(d(2024, 3, 8)),
        est,
        "Friday before spring forward"
    );
    assert_eq!(
        open_hours_utc(d(2024, 3, 11)),
        edt,
        "Monday after spring forward"
    );
    assert_eq!(
        open_hours_utc(d(2024, 11, 1)),
        edt,
        "Friday before fall back"
    );
    assert_eq!(
        open_hours_utc(d(2024, 11, 4)),
        est,
        "Monday after fall back"
    );
    // The session itself: 09:30 EDT = 13:30 UTC.
    let s = nyse::day(d(2024, 3, 11)).regular.unwrap();
    assert_eq!(s.open_ms, utc(2024, 3, 11, 13, 30));
    assert_eq!(s.close_ms, utc(2024, 3, 11, 20, 0));
    // The first bar is partial (09:00-10:00 for a 09:30 open), the last is full.
    let first = NYSE.bar_session(utc(2024, 3, 11, 13, 0), H).unwrap();
    assert!(first.first && first.partial(H) && first.overlap_ms == H / 2);
    let last = NYSE.bar_session(utc(2024, 3, 11, 19, 0), H).unwrap();
    assert!(last.last && !last.partial(H));
    assert!(NYSE.bar_session(utc(2024, 3, 11, 20, 0), H).is_none());
}

#[test]
fn weekends_closed_crypto_always_open() {
    for date in [d(2024, 3, 9), d(2024, 3, 10), d(2025, 1, 4), d(2025, 1, 5)] {
        assert_eq!(nyse::day(date).status, DayStatus::Weekend);
        assert!(open_hours_utc(date).is_empty());
        for h in 0..24 {
            let t = utc(date.year(), date.month(), date.day(), h, 0);
            // Saturday 00:00-01:00 UTC is still Friday's extended session (20:00 EST = 01:00 UTC).
            let friday_evening = date.weekday() == Weekday::Sat && h == 0;
            assert_eq!(
                Calendar::Nyse { extended: true }.is_open(t, H),
                friday_evening,
                "{date} {h}:00 UTC"
            );
            assert!(Calendar::Always.is_open(t, H));
            assert!(!Calendar::Always.is_session_last_bar(t, H));
        }
    }
    assert_eq!(Calendar::Always.periods_per_year(H), 8760.0);
    assert_eq!(Calendar::Always.periods_per_year(24 * H), 365.0);
    assert_eq!(
        Calendar::Always.session_mask(&[0, H, 2 * H], H),
        vec![true; 3]
    );
    assert_eq!(Calendar::Always.label(), "24/7");
    assert_eq!(NYSE.label(), "NYSE regular hours");
}

#[test]
fn special_closures() {
    for date in [
        d(2001, 9, 11),
        d(2001, 9, 12),
        d(2001, 9, 13),
        d(2001, 9, 14),
        d(2004, 6, 11),
        d(2007, 1, 2),
        d(2012, 10, 29),
        d(2012, 10, 30),
        d(2018, 12, 5),
        d(2025, 1, 9),
    ] {
        assert_eq!(nyse::day(date).status, DayStatus::Closed, "{date}");
        assert_eq!(rules_day(date).status, DayStatus::Closed, "{date} (rules)");
    }
    // New Year's Day on a Saturday is not observed on the Friday before.
    assert_eq!(nyse::day(d(2021, 12, 31)).status, DayStatus::Regular);
    assert_eq!(
        nyse::day(d(2023, 1, 2)).status,
        DayStatus::Closed,
        "Sunday New Year -> Monday"
    );
}

#[test]
fn extended_hours() {
    let ext = Calendar::Nyse { extended: true };
    assert_eq!(ext.label(), "NYSE extended hours");
    // 2024-03-11 (EDT): 04:00-20:00 ET = 08:00-00:00 UTC.
    assert!(!ext.is_open(utc(2024, 3, 11, 7, 0), H));
    assert!(ext.is_open(utc(2024, 3, 11, 8, 0), H));
    assert!(ext.is_open(utc(2024, 3, 11, 23, 0), H));
    assert!(ext.is_session_last_bar(utc(2024, 3, 11, 23, 0), H));
    assert!(
        !ext.is_open(utc(2024, 3, 12, 0, 0), H),
        "20:00 ET is the extended close"
    );
    assert!(!NYSE.is_open(utc(2024, 3, 11, 8, 0), H));
}

#[test]
fn symbols_pick_their_calendar() {
    let cal = |s: &str| Calendar::for_symbol(&Symbol::parse(s).unwrap());
    assert_eq!(cal("BTC/USDT"), Ok(Calendar::Always));
    assert_eq!(cal("BTC/USDT:USDT"), Ok(Calendar::Always));
    assert_eq!(cal("ETHUSDT"), Ok(Calendar::Always));
    assert_eq!(cal("SPY"), Ok(Calendar::NYSE));
    assert_eq!(cal("AAPL"), Ok(Calendar::NYSE));
    assert_eq!(cal("MU"), Ok(Calendar::NYSE));
    assert!(cal("NOTATICKER1").is_err());
    assert_eq!(Calendar::for_asset_class(AssetClass::Stock), Calendar::NYSE);
}

#[test]
fn periods_per_year_is_counted_from_the_calendar() {
    let p1h = NYSE.periods_per_year(H);
    let p1d = NYSE.periods_per_year(24 * H);
    let p30m = NYSE.periods_per_year(H / 2);
    // ~251.6 trading days; 7 hourly bars a full day, 4 on a half day; 13 half-hour bars, 7 on a half day.
    assert!((250.0..253.0).contains(&p1d), "{p1d}");
    // Pinned: 52 620 hourly bars in 1998-2027. A change of any day in the span changes P.
    assert_eq!(p1h, 1754.0);
    assert_eq!(NYSE.bars_in_years(1998..=2027, H), 52_620);
    assert!(
        (p1h - (7.0 * p1d - 3.0 * 3.0)).abs() < 10.0,
        "{p1h} vs {p1d}"
    );
    assert!((p30m - 13.0 * p1d).abs() < 30.0, "{p30m}");
    let label = NYSE.periods_label(H);
    assert!(
        label.starts_with("P=17")
            && label.contains("NYSE regular hours")
            && label.contains("1998-2027"),
        "{label}"
    );
    assert_eq!(Calendar::Always.periods_label(H), "P=8760 (24/7, 365 days)");
    eprintln!("P(1h)={p1h} P(30m)={p30m} P(1d)={p1d}  {label}");
}

/// The rules alone (no table) against the exchange-hours NYSE table, on every day of the table's
/// window: same status, same session times.
#[test]
fn rules_agree_with_the_exchange_hours_table_2010_2028() {
    let mut date = d(2010, 1, 1);
    let mut checked = 0;
    let mut mismatches = Vec::new();
    while date <= d(2028, 12, 31) {
        let table = nyse::day(date);
        if nyse::TABLE_CORRECTIONS.contains(&(date.year(), date.month(), date.day())) {
            assert_eq!(table.source, DaySource::Rules, "{date} is a correction");
            date = date.succ_opt().unwrap();
            continue;
        }
        assert_eq!(
            table.source,
            DaySource::ExchangeHours,
            "{date} should be decided by the table"
        );
        let rules = rules_day(date);
        if (table.status, table.regular, table.extended)
            != (rules.status, rules.regular, rules.extended)
        {
            mismatches.push(format!(
                "{date} {:?}: table {:?} {:?}, rules {:?}",
                date.weekday(),
                table.status,
                table.regular,
                rules.status
            ));
        }
        checked += 1;
        date = date.succ_opt().unwrap();
    }
    assert!(
        mismatches.is_empty(),
        "{} of {checked} days differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    // Outside the window the rules decide.
    assert_eq!(nyse::day(d(2009, 12, 24)).source, DaySource::Rules);
    assert_eq!(nyse::day(d(2029, 1, 2)).source, DaySource::Rules);
    assert_eq!(d(2029, 1, 1).weekday(), Weekday::Mon);
    assert_eq!(nyse::day(d(2029, 1, 1)).status, DayStatus::Closed);
}
