//! Funding-rate series: real freqtrade and QuantConnect files from ../shared/data, incremental
//! merges, conflicts and bad input that must leave the store unchanged.
#![allow(clippy::result_large_err)]
mod common;

use common::*;
use std::path::Path;
use tradelab_core::Symbol;
use tradelab_data::series::{import_funding_file, read_funding_file, FundingSeries};
use tradelab_data::{OnConflict, Store};

const H8: i64 = 8 * 3_600_000;

fn sym(s: &str) -> Symbol {
    Symbol::parse(s).unwrap()
}

fn btc_funding() -> std::path::PathBuf {
    shared_data()
        .join("binance_roshan7869_algotrading/funding/BTC_USDT_USDT-1h-funding_rate.feather")
}

#[test]
fn imports_freqtrade_funding_feather_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let s = sym("BTC/USDT:USDT");
    let r = import_funding_file(&store, &btc_funding(), &s, OnConflict::Error, None).unwrap();
    assert_eq!(r.format, "feather");
    assert_eq!(r.merge.rows_added, 6914);
    assert_eq!(
        r.merge.info.first_iso.as_deref(),
        Some("2019-09-10T08:00:00Z")
    );
    assert_eq!(
        r.merge.info.last_iso.as_deref(),
        Some("2025-12-31T16:00:00Z")
    );
    assert_eq!(r.merge.info.median_spacing_ms, Some(H8));
    assert_eq!(
        r.merge.info.sources[0].source,
        "file:BTC_USDT_USDT-1h-funding_rate.feather"
    );
    assert_eq!(
        r.merge.info.path,
        dir.path().join("BTC_USDT_USDT/funding/series.parquet")
    );
    assert!(r.merge.info.path.is_file());

    // The stored rates are the file's rates (freqtrade keeps them in `open`).
    let (from_file, _) = read_funding_file(&btc_funding()).unwrap();
    assert_eq!(store.read_funding(&s).unwrap(), from_file);
    assert!(
        from_file.rate.iter().all(|r| r.abs() < 0.01),
        "BTC funding is well below 1 % per 8 h"
    );

    let before = snapshot(dir.path());
    let again = import_funding_file(&store, &btc_funding(), &s, OnConflict::Error, None).unwrap();
    assert!(!again.merge.written);
    assert_eq!(again.merge.rows_unchanged, 6914);
    assert_eq!(
        before,
        snapshot(dir.path()),
        "re-import must not touch the store"
    );

    // Funding series are not bar sets.
    assert!(store.list().unwrap().is_empty());
    assert_eq!(
        store.list_funding().unwrap(),
        vec!["BTC/USDT:USDT".to_string()]
    );
}

#[test]
fn reads_quantconnect_headerless_funding_csv() {
    let file =
        shared_data().join("quantconnect_lean/cryptofuture/binance/margin_interest/btcusd.csv");
    let (s, format) = read_funding_file(&file).unwrap();
    assert_eq!(format, "csv");
    assert_eq!(s.len(), 12);
    assert_eq!(s.ts[0], 1_609_200_000_000); // 2020-12-29T00:00:00Z
    assert_eq!(s.rate[0], 0.0002003);
}

#[test]
fn incremental_merge_adds_only_new_events_and_records_each_source() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let s = sym("ETH/USDT:USDT");
    let (all, _) = read_funding_file(
        &shared_data()
            .join("binance_roshan7869_algotrading/funding/ETH_USDT_USDT-1h-funding_rate.feather"),
    )
    .unwrap();
    let cut = |a: usize, b: usize| FundingSeries {
        ts: all.ts[a..b].to_vec(),
        rate: all.rate[a..b].to_vec(),
    };
    let r1 = store
        .merge_funding(
            &s,
            &cut(0, 1000),
            OnConflict::Error,
            "ccxt:binance",
            Path::new("<page1>"),
        )
        .unwrap();
    assert_eq!((r1.rows_added, r1.rows_total), (1000, 1000));
    let r2 = store
        .merge_funding(
            &s,
            &cut(900, 2500),
            OnConflict::Error,
            "ccxt:binance",
            Path::new("<page2>"),
        )
        .unwrap();
    assert_eq!(
        (r2.rows_added, r2.rows_unchanged, r2.rows_total),
        (1500, 100, 2500)
    );
    assert_eq!(r2.info.sources.len(), 2);
    assert_eq!(r2.info.sources[1].rows_added, 1500);
    assert_eq!(store.read_funding(&s).unwrap(), cut(0, 2500));
}

#[test]
fn conflicting_rates_abort_unless_replace_or_keep() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let s = sym("BTC/USDT:USDT");
    let t0 = 1_735_689_600_000;
    let base = FundingSeries {
        ts: (0..10).map(|i| t0 + i * H8).collect(),
        rate: vec![0.0001; 10],
    };
    store
        .merge_funding(&s, &base, OnConflict::Error, "a", Path::new("<a>"))
        .unwrap();
    let before = snapshot(dir.path());

    let mut other = base.clone();
    other.rate[4] = 0.0003;
    let e = store
        .merge_funding(&s, &other, OnConflict::Error, "b", Path::new("<b>"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("1 bar(s) differ") || e.contains("differ"), "{e}");
    assert!(e.contains("2025-01-02T08:00:00Z"), "{e}");
    assert!(e.contains("stored rate 0.0001, incoming 0.0003"), "{e}");
    assert_eq!(
        before,
        snapshot(dir.path()),
        "a refused merge must not touch the store"
    );

    let k = store
        .merge_funding(&s, &other, OnConflict::Keep, "b", Path::new("<b>"))
        .unwrap();
    assert_eq!((k.rows_kept, k.written), (1, false));
    assert_eq!(store.read_funding(&s).unwrap().rate[4], 0.0001);

    let r = store
        .merge_funding(&s, &other, OnConflict::Replace, "b", Path::new("<b>"))
        .unwrap();
    assert_eq!((r.rows_replaced, r.written), (1, true));
    assert_eq!(store.read_funding(&s).unwrap().rate[4], 0.0003);
    assert_eq!(r.info.sources.last().unwrap().source, "b");
}

#[test]
fn bad_input_is_rejected_with_row_and_field_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let s = sym("BTC/USDT:USDT");
    store
        .merge_funding(
            &s,
            &FundingSeries {
                ts: vec![1_735_689_600_000],
                rate: vec![0.0001],
            },
            OnConflict::Error,
            "a",
            Path::new("<a>"),
        )
        .unwrap();
    let before = snapshot(dir.path());

    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("bad.csv");
    std::fs::write(
        &csv,
        "timestamp,funding_rate\n2025-01-02T00:00:00Z,0.0001\n2025-01-02T08:00:00Z,NaN\n",
    )
    .unwrap();
    let e = import_funding_file(&store, &csv, &s, OnConflict::Error, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with("bad.csv: row 2: field `rate`: value NaN is not a finite number"),
        "{e}"
    );

    std::fs::write(
        &csv,
        "timestamp,funding_rate\n2025-01-02T08:00:00Z,0.0001\n2025-01-02T00:00:00Z,0.0001\n",
    )
    .unwrap();
    let e = import_funding_file(&store, &csv, &s, OnConflict::Error, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 2: field `ts`") && e.contains("unsorted"),
        "{e}"
    );

    std::fs::write(&csv, "timestamp,funding_rate\n2025-01-02T08:00:00Z,1.5\n").unwrap();
    let e = import_funding_file(&store, &csv, &s, OnConflict::Error, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not a funding rate"), "{e}");

    std::fs::write(&csv, "timestamp,price\n2025-01-02T08:00:00Z,1.5\n").unwrap();
    let e = import_funding_file(&store, &csv, &s, OnConflict::Error, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("needs a timestamp column") && e.contains("rate column"),
        "{e}"
    );

    assert_eq!(before, snapshot(dir.path()));
}

#[cfg(unix)]
#[test]
fn refuses_to_write_through_a_symlinked_symbol_directory() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    std::fs::create_dir_all(dir.path().join("ETH_USDT_USDT")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("ETH_USDT_USDT"),
        dir.path().join("BTC_USDT_USDT"),
    )
    .unwrap();
    let e = store
        .merge_funding(
            &sym("BTC/USDT:USDT"),
            &FundingSeries {
                ts: vec![1_735_689_600_000],
                rate: vec![0.0001],
            },
            OnConflict::Error,
            "a",
            Path::new("<a>"),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("refusing to write through symlink"), "{e}");
}

#[test]
fn missing_series_names_the_command_that_fills_it() {
    let dir = tempfile::tempdir().unwrap();
    let e = Store::open(dir.path())
        .read_funding(&sym("SOL/USDT:USDT"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no funding rates stored for SOL/USDT:USDT")
            && e.contains("tradelab data funding"),
        "{e}"
    );
}
