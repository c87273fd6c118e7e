//! The engine on real stock bars: QuantConnect LEAN's SPY hour bars 1998-2021
//! (`<shared>/quantconnect_lean/equity/usa/hour/spy.zip`), imported into a store together with
//! synthetic extended-hours bars (16:00-19:00 ET, prices 3 % away so any resting limit would
//! fill there). A band strategy with an end-of-day close must fill only inside NYSE sessions,
//! hold nothing overnight, and annualise with P equal to the data's bars per year.
//!
//! LEAN's format: one headerless CSV, `YYYYMMDD HH:MM,open,high,low,close,volume`, time = bar
//! start in America/New_York floored to the hour, prices x 10 000.
mod common;
use chrono::{NaiveDate, NaiveTime};
use std::collections::BTreeMap;
use std::io::Read;
use tradelab_backtest::load::Window;
use tradelab_backtest::portfolio::{self, PortfolioRequest};
use tradelab_calendar::nyse::ny_to_utc_ms;
use tradelab_calendar::Calendar;
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_data::{OnConflict, Store};
use tradelab_sim::{Side, Strategy, TradeReason};

const H: i64 = 3_600_000;

/// SPY's bars, and the dates they fall on (New York).
fn load_spy(path: &std::path::Path) -> (Bars, Vec<NaiveDate>) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_index(0).unwrap().read_to_string(&mut text).unwrap();
    let mut bars = Bars::default();
    let mut dates = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let (day, hm) = f[0].split_once(' ').unwrap();
        let date = NaiveDate::parse_from_str(day, "%Y%m%d").unwrap();
        let t = NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
        let px = |i: usize| f[i].parse::<f64>().unwrap() / 10_000.0;
        bars.ts.push(ny_to_utc_ms(
            date,
            chrono::Timelike::num_seconds_from_midnight(&t),
        ));
        bars.open.push(px(1));
        bars.high.push(px(2));
        bars.low.push(px(3));
        bars.close.push(px(4));
        bars.volume.push(f[5].parse().unwrap());
        dates.push(date);
    }
    (bars, dates)
}

/// The file's bars plus 16:00-19:00 ET bars on each of its dates (where the file has none),
/// 3 % above and below the day's last close.
fn with_extended_hours(bars: &Bars, dates: &[NaiveDate]) -> Bars {
    let mut last_close: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    for (i, d) in dates.iter().enumerate() {
        last_close.insert(*d, bars.close[i]);
    }
    let have: std::collections::BTreeSet<i64> = bars.ts.iter().copied().collect();
    let mut rows: Vec<(i64, [f64; 5])> = (0..bars.len())
        .map(|i| {
            (
                bars.ts[i],
                [
                    bars.open[i],
                    bars.high[i],
                    bars.low[i],
                    bars.close[i],
                    bars.volume[i],
                ],
            )
        })
        .collect();
    for (d, c) in &last_close {
        for hour in 16..20 {
            let ts = ny_to_utc_ms(*d, hour * 3600);
            if !have.contains(&ts) {
                rows.push((ts, [*c, c * 1.03, c * 0.97, *c, 1e6]));
            }
        }
    }
    rows.sort_by_key(|r| r.0);
    let mut out = Bars::default();
    for (ts, [o, h, l, c, v]) in rows {
        out.ts.push(ts);
        out.open.push(o);
        out.high.push(h);
        out.low.push(l);
        out.close.push(c);
        out.volume.push(v);
    }
    out
}

#[test]
fn spy_fills_only_in_session_closes_each_day_and_annualises_with_the_datas_p() {
    let Some(zip) = common::shared("quantconnect_lean/equity/usa/hour/spy.zip") else {
        return;
    };
    let (spy, dates) = load_spy(&zip);
    let stored = with_extended_hours(&spy, &dates);
    assert!(stored.len() > spy.len() + 20_000, "extended bars added");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let sym = Symbol::parse("SPY").unwrap();
    store
        .merge(&sym, Interval::H1, &stored, OnConflict::Error, "test", &zip)
        .unwrap();

    let req = PortfolioRequest {
        window: Window::range(dir.path().display().to_string(), "1h", None, None),
        symbols: vec!["SPY".into()],
        strategy: Strategy::Band {
            buy_offset: 0.002,
            sell_offset: 0.002,
            buy_frac: 1.0,
            sell_frac: 1.0,
        },
        params: None,
        max_positions: None,
        end_of_day_close: Some(true),
    };
    let (report, r) = portfolio::simulate(&req).unwrap();

    // 1. Every fill lies in an NYSE regular session; there are plenty of them.
    let cal = Calendar::NYSE;
    let fill_ts: Vec<i64> = r.fills.iter().map(|f| f.trade.ts).collect();
    let in_session = cal.session_mask(&fill_ts, H);
    let outside: Vec<i64> = fill_ts
        .iter()
        .zip(&in_session)
        .filter(|(_, m)| !**m)
        .map(|(t, _)| *t)
        .collect();
    assert!(
        outside.is_empty(),
        "fills outside the session at {outside:?}"
    );
    assert!(r.fills.len() > 5_000, "{} fills", r.fills.len());

    // 2. Nothing is held overnight: after each day's last fill the position is flat, and each
    //    day that held a position at its last bar closed it there (EndOfDay, taker fee).
    let mut qty = 0.0_f64;
    let mut end_of_day = 0;
    let mut by_day: BTreeMap<i64, f64> = BTreeMap::new();
    for f in &r.fills {
        let t = &f.trade;
        qty += match t.side {
            Side::Buy => t.qty,
            Side::Sell => -t.qty,
        };
        if t.reason == TradeReason::EndOfDay {
            end_of_day += 1;
        }
        // Session days start after 09:00 ET = 13:00/14:00 UTC; a UTC day holds one session.
        by_day.insert(t.ts.div_euclid(86_400_000), qty);
    }
    let held: Vec<_> = by_day.iter().filter(|(_, q)| q.abs() > 1e-9).collect();
    assert!(
        held.is_empty(),
        "positions held overnight: {:?}",
        &held[..held.len().min(5)]
    );
    assert!(end_of_day > 1_000, "{end_of_day} end-of-day closes");

    // 3. The clock is the session bars: the extended-hours bars (and LEAN's 47 prints after a
    //    13:00 early close) are neither traded nor marked.
    let session = cal.session_mask(&stored.ts, H);
    let session_bars = session.iter().filter(|m| **m).count();
    assert_eq!(report.steps as usize, session_bars);
    assert_eq!(session_bars, spy.len() - 47);

    // 4. P is the calendar's, stated in the label, and equals the data's bars per year
    //    (1998-2020, full years) within 0.3 %.
    let p = cal.periods_per_year(H);
    assert_eq!(report.params.periods_per_year(), p);
    assert!(
        report.label.text.contains(" · P 17") && report.periods.contains("NYSE"),
        "{} / {}",
        report.label.text,
        report.periods
    );
    let full_years =
        r.ts.iter()
            .filter(|t| {
                let y = chrono::DateTime::from_timestamp_millis(**t)
                    .unwrap()
                    .format("%Y")
                    .to_string();
                ("1998".."2021").contains(&y.as_str())
            })
            .count() as f64;
    let per_year = full_years / 23.0;
    let rel = (per_year - p).abs() / p;
    eprintln!(
        "SPY 1998-2020: {per_year:.2} clock bars/year, P = {p:.2} ({}), rel. diff {:.3} %; {} fills, {end_of_day} end-of-day closes; label: {}",
        report.periods,
        rel * 100.0,
        r.fills.len(),
        report.label.text
    );
    assert!(rel < 0.003, "bars/year {per_year} vs P {p}");
}

/// The selector session on the same SPY store: session bars only, end-of-day closes, and with a
/// selector that rests each action row's orders (no buys while holding) it is the portfolio
/// backtest of the same strategy, bit for bit.
#[test]
fn the_selector_on_spy_trades_sessions_only_and_equals_the_portfolio_run() {
    use tradelab_backtest::select::{
        SelectRequest, SelectSession, CAND_FIELDS, ORDER_FIELDS, STATE_FIELDS,
    };
    let Some(zip) = common::shared("quantconnect_lean/equity/usa/hour/spy.zip") else {
        return;
    };
    let (spy, dates) = load_spy(&zip);
    let stored = with_extended_hours(&spy, &dates);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let sym = Symbol::parse("SPY").unwrap();
    store
        .merge(&sym, Interval::H1, &stored, OnConflict::Error, "test", &zip)
        .unwrap();
    let band = Strategy::Band {
        buy_offset: 0.002,
        sell_offset: 0.002,
        buy_frac: 1.0,
        sell_frac: 1.0,
    };
    let root = dir.path().display().to_string();
    let req: SelectRequest = serde_json::from_value(serde_json::json!({
        "store": root, "interval": "1h", "from": 1_262_304_000_000i64, "to": 1_293_840_000_000i64,
        "symbols": ["SPY"], "strategy": band, "forecastModel": "naive",
        "edgeMode": "high", "endOfDayClose": true
    }))
    .unwrap();
    let mut s = SelectSession::open(&req, &[]).unwrap();
    let mut cand = vec![0.0; CAND_FIELDS];
    let mut state = vec![0.0; 3 + STATE_FIELDS];
    let mut orders = vec![f64::NAN; ORDER_FIELDS];
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        orders.fill(f64::NAN);
        if cand[0] == 1.0 {
            if state[3] == 0.0 {
                orders[0] = cand[1];
                orders[1] = cand[2];
            }
            orders[2] = cand[3];
            orders[3] = cand[4];
        }
        s.apply(&orders).unwrap();
    }
    let r = s.finish("rest each action row", None);
    let (p, pr) = portfolio::simulate(&PortfolioRequest {
        window: Window::range(root, "1h", req.window.from, req.window.to),
        symbols: vec!["SPY".into()],
        strategy: band,
        params: None,
        max_positions: None,
        end_of_day_close: Some(true),
    })
    .unwrap();
    assert_eq!(r.curves.ts, pr.ts, "the session clock");
    assert_eq!(r.curves.equity, pr.equity, "equity bit for bit");
    assert_eq!(r.metrics, p.metrics);
    assert!(r.label.text.contains(" · P 17"), "{}", r.label.text);
    // Nothing held at any session's last bar.
    let last = Calendar::NYSE.session_last_mask(&r.curves.ts, H);
    for (i, a) in r.curves.allocation.iter().enumerate() {
        if last[i] {
            assert_eq!(*a, 0.0, "held at the close of {}", r.curves.ts[i]);
        }
    }
    assert!(p.metrics.trade_count > 500);
}
