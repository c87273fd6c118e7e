//! Import and store behaviour on real files from ../shared/data and on crafted bad input.
#![allow(clippy::result_large_err)]
mod common;

use common::*;
use std::path::Path;
use tradelab_core::{Interval, Symbol};
use tradelab_data::{import_file, DataError, ImportOptions, OnConflict, Progress, Store};

fn opts(symbol: &str, interval: &str) -> ImportOptions {
    ImportOptions {
        symbol: Symbol::parse(symbol).unwrap(),
        interval: interval.parse().unwrap(),
        on_conflict: OnConflict::Error,
        source: None,
    }
}

fn import(
    store: &Store,
    file: &Path,
    o: &ImportOptions,
) -> Result<tradelab_data::ImportReport, DataError> {
    import_file(store, file, o, &Progress::new())
}

#[test]
fn imports_freqtrade_feather_and_reimport_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let file = shared_data().join("binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");
    let o = opts("BTC/USDT", "1h");
    let r = import(&store, &file, &o).unwrap();
    assert_eq!(r.merge.rows_total, 70006);
    assert_eq!(
        r.merge.info.first_iso.as_deref(),
        Some("2018-01-01T00:00:00Z")
    );
    assert_eq!(
        r.merge.info.last_iso.as_deref(),
        Some("2025-12-31T23:00:00Z")
    );
    assert!(r.merge.written);
    let before = snapshot(dir.path());
    let again = import(&store, &file, &o).unwrap();
    assert_eq!(again.merge.rows_total, 70006);
    assert_eq!(again.merge.rows_added, 0);
    assert_eq!(again.merge.rows_unchanged, 70006);
    assert!(!again.merge.written);
    assert_eq!(
        before,
        snapshot(dir.path()),
        "re-import must not touch the store"
    );

    // The stored values are the file's values.
    let bars = store.read(&o.symbol, o.interval).unwrap();
    assert_eq!(bars.ts[0], 1_514_764_800_000);
    assert!(bars.close.iter().all(|c| *c > 0.0));
    let info = store.info(&o.symbol, o.interval).unwrap();
    assert_eq!(info.sources.len(), 1);
    assert_eq!(info.sources[0].source, "file:BTC_USDT-1h.feather");
}

#[test]
fn imports_binance_vision_klines_without_header_in_ms() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let o = opts("ADA/BTC", "1m");
    let d = shared_data().join("nautilus_trader");
    let a = import(&store, &d.join("ADABTC-1m-2021-11-27.csv"), &o).unwrap();
    assert_eq!(a.format, "binance-klines");
    let b = import(&store, &d.join("ADABTC-1m-2021-11-28.csv"), &o).unwrap();
    assert_eq!(b.merge.rows_total, a.merge.rows_in + b.merge.rows_in);
    let bars = store.read(&o.symbol, o.interval).unwrap();
    assert_eq!(bars.ts[0], 1_637_971_200_000);
    assert_eq!(bars.trades.as_ref().unwrap()[0], 79);
    // vwap = quote volume / base volume
    let vw = bars.vwap.as_ref().unwrap()[0];
    assert!((vw - 1.03547608 / 36304.2).abs() < 1e-15);
}

#[test]
fn vision_microsecond_timestamps_and_header_variants() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let t = 1_735_689_600_000_000i64; // 2025-01-01 in µs
    let h_us = 3_600_000_000i64;
    let mut s = String::new();
    for i in 0..3 {
        let o = t + i * h_us;
        s.push_str(&format!(
            "{o},1.0,1.2,0.9,1.1,10.0,{},11.0,5,1.0,1.0,0\n",
            o + h_us - 1
        ));
    }
    let f = dir.path().join("BTCUSDT-1h-2025-01-01.csv");
    std::fs::write(&f, &s).unwrap();
    let r = import(
        &Store::open(dir.path().join("s")),
        &f,
        &opts("BTC/USDT", "1h"),
    )
    .unwrap();
    assert_eq!(r.merge.info.first, Some(1_735_689_600_000));
    assert_eq!(r.merge.rows_total, 3);

    // Same data with the futures-style header.
    let hdr = format!("open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n{s}");
    let f2 = dir.path().join("with_header.csv");
    std::fs::write(&f2, hdr).unwrap();
    let r2 = import(&store, &f2, &opts("BTC/USDT", "1h")).unwrap();
    assert_eq!(r2.format, "csv");
    assert_eq!(r2.merge.info.first, Some(1_735_689_600_000));

    // Wrong interval for a kline file is caught from close_time.
    let err = import(
        &Store::open(dir.path().join("x")),
        &f,
        &opts("BTC/USDT", "1m"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--interval is 1m"), "{err}");
}

#[test]
fn csv_with_iso_and_second_timestamps() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let f = shared_data().join("kernc_backtesting_py/SOLUSDT.csv");
    let r = import(&store, &f, &opts("SOL/USDT", "1h")).unwrap();
    assert_eq!(r.merge.rows_total, 1000);
    assert_eq!(
        r.merge.info.first_iso.as_deref(),
        Some("2024-09-20T15:00:00Z")
    );

    let secs =
        "date,open,high,low,close,volume\n1704067200,1,2,0.5,1.5,3\n1704070800,1,2,0.5,1.5,3\n";
    let f2 = dir.path().join("secs.csv");
    std::fs::write(&f2, secs).unwrap();
    let r2 = import(
        &Store::open(dir.path().join("t")),
        &f2,
        &opts("X/USDT", "1h"),
    )
    .unwrap();
    assert_eq!(r2.merge.info.first, Some(T0));
}

/// Each kind of bad input: the error names the file, row, line and field, and the store is unchanged.
#[test]
fn bad_input_is_rejected_with_file_row_and_field_and_store_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("store"));
    let o = opts("TEST/USDT", "1h");
    // Seed the store with good bars that the bad files overlap.
    let good = dir.path().join("good.csv");
    std::fs::write(&good, csv_rows(10, |_, _| {})).unwrap();
    import(&store, &good, &o).unwrap();
    let before = snapshot(store.root());
    assert!(!before.is_empty());

    type Edit = Box<dyn Fn(usize, &mut Vec<String>)>;
    type RowEdit = Box<dyn Fn(&mut Vec<String>)>;
    let at = |row: usize, f: RowEdit| -> Edit {
        Box::new(move |i, v| {
            if i == row {
                f(v)
            }
        })
    };
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "nan",
            at(4, Box::new(|v| v[4] = "NaN".into())),
            "row 5 (line 6): field `close`: value NaN is not a finite number",
        ),
        (
            "inf",
            at(4, Box::new(|v| v[2] = "inf".into())),
            "row 5 (line 6): field `high`: value inf is not a finite number",
        ),
        (
            "high_below",
            at(4, Box::new(|v| v[2] = "103.5".into())),
            "row 5 (line 6): field `high`: high 103.5 is below max(open 104, close 105)",
        ),
        (
            "low_above",
            at(4, Box::new(|v| v[3] = "104.5".into())),
            "row 5 (line 6): field `low`: low 104.5 is above min(open 104, close 105)",
        ),
        (
            "neg_price",
            at(4, Box::new(|v| v[3] = "-1".into())),
            "row 5 (line 6): field `low`: price -1 is not positive",
        ),
        (
            "neg_volume",
            at(4, Box::new(|v| v[5] = "-3".into())),
            "row 5 (line 6): field `volume`: volume -3 is negative",
        ),
        (
            "duplicate",
            at(4, Box::new(|v| v[0] = (T0 + 3 * H).to_string())),
            "row 5 (line 6): field `ts`: duplicate timestamp 2024-01-01T03:00:00Z",
        ),
        (
            "unsorted",
            at(4, Box::new(|v| v[0] = (T0 + H).to_string())),
            "row 5 (line 6): field `ts`: timestamps not sorted",
        ),
        (
            "misaligned",
            at(4, Box::new(|v| v[0] = (T0 + 4 * H + 60_000).to_string())),
            "row 5 (line 6): field `ts`: timestamp 2024-01-01T04:01:00Z",
        ),
        (
            "not_number",
            at(4, Box::new(|v| v[1] = "abc".into())),
            "row 5 (line 6): field `open`: cannot parse 'abc' as a number",
        ),
        (
            "bad_ts",
            at(4, Box::new(|v| v[0] = "someday".into())),
            "row 5 (line 6): field `ts`: cannot parse timestamp 'someday'",
        ),
        (
            "missing",
            at(4, Box::new(|v| v[5] = "".into())),
            "row 5 (line 6): field `volume`: missing value",
        ),
    ];
    for (name, edit, expected) in cases {
        // Shift the bad file so it overlaps the stored bars and adds new ones: a partial write would show.
        let f = dir.path().join(format!("{name}.csv"));
        std::fs::write(&f, csv_rows(20, edit)).unwrap();
        let err = import(&store, &f, &o).unwrap_err().to_string();
        assert!(
            err.contains(&format!("{name}.csv: ")),
            "{name}: error must name the file: {err}"
        );
        assert!(
            err.contains(expected),
            "{name}: expected `{expected}` in `{err}`"
        );
        assert_eq!(
            before,
            snapshot(store.root()),
            "{name}: store must be unchanged"
        );
    }
}

#[test]
fn feather_with_bad_row_names_the_row() {
    // A feather file can't be hand-edited easily; write our own Parquet with a bad row instead and
    // import it through the Parquet reader (same column-mapping code as Feather).
    let dir = tempfile::tempdir().unwrap();
    let mut bars = tradelab_core::Bars::with_capacity(3);
    for i in 0..3 {
        bars.ts.push(T0 + i * H);
        bars.open.push(1.0);
        bars.high.push(if i == 2 { 0.5 } else { 2.0 });
        bars.low.push(0.5);
        bars.close.push(1.0);
        bars.volume.push(1.0);
    }
    let f = dir.path().join("bad.parquet");
    tradelab_data::parquet_io::write_parquet_atomic(&f, &bars, &Default::default()).unwrap();
    let err = import(&Store::open(dir.path().join("s")), &f, &opts("A/B", "1h"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("bad.parquet: row 3: field `high`"), "{err}");
    assert!(
        !dir.path().join("s").exists(),
        "nothing may be created on failure"
    );
}

#[test]
fn conflicting_bars_error_by_default_and_follow_policy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let mut o = opts("C/USDT", "1h");
    let a = dir.path().join("a.csv");
    std::fs::write(&a, csv_rows(5, |_, _| {})).unwrap();
    import(&store, &a, &o).unwrap();
    let before = snapshot(store.root());
    let b = dir.path().join("b.csv");
    std::fs::write(
        &b,
        csv_rows(8, |i, v| {
            if i == 2 {
                v[5] = "99".into()
            }
        }),
    )
    .unwrap();
    let err = import(&store, &b, &o).unwrap_err().to_string();
    assert!(
        err.contains("1 bar(s) differ") && err.contains("2024-01-01T02:00:00Z"),
        "{err}"
    );
    assert_eq!(before, snapshot(store.root()));

    o.on_conflict = OnConflict::Keep;
    let r = import(&store, &b, &o).unwrap();
    assert_eq!(
        (r.merge.rows_added, r.merge.rows_kept, r.merge.rows_total),
        (3, 1, 8)
    );
    assert_eq!(store.read(&o.symbol, o.interval).unwrap().volume[2], 10.0);

    o.on_conflict = OnConflict::Replace;
    let r = import(&store, &b, &o).unwrap();
    assert_eq!((r.merge.rows_added, r.merge.rows_replaced), (0, 1));
    assert_eq!(store.read(&o.symbol, o.interval).unwrap().volume[2], 99.0);
    assert_eq!(store.info(&o.symbol, o.interval).unwrap().sources.len(), 3);
}

#[test]
fn gaps_are_reported_not_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("g.csv");
    std::fs::write(
        &f,
        csv_rows(10, |i, v| {
            if i >= 5 {
                v[0] = (T0 + (i as i64 + 3) * H).to_string()
            }
        }),
    )
    .unwrap();
    let r = import(
        &Store::open(dir.path().join("s")),
        &f,
        &opts("G/USDT", "1h"),
    )
    .unwrap();
    assert_eq!(r.merge.info.gaps.count, 1);
    assert_eq!(r.merge.info.gaps.missing_bars, 3);
    assert_eq!(
        r.merge.info.gaps.longest.as_ref().unwrap().after,
        T0 + 4 * H
    );
}

#[cfg(unix)]
#[test]
fn writing_through_a_symlink_alias_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let o = opts("BTC/USDT", "1h");
    let a = dir.path().join("a.csv");
    std::fs::write(&a, csv_rows(5, |_, _| {})).unwrap();
    import(&store, &a, &o).unwrap();
    // BTC_USD is an alias (symlink) of BTC_USDT, as the seed's data directories were.
    std::os::unix::fs::symlink(store.root().join("BTC_USDT"), store.root().join("BTC_USD"))
        .unwrap();
    let before = snapshot(store.root());
    let b = dir.path().join("b.csv");
    std::fs::write(&b, csv_rows(8, |_, _| {})).unwrap();
    let err = import(&store, &b, &opts("BTC/USD", "1h"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("refusing to write through symlink"), "{err}");
    assert_eq!(before, snapshot(store.root()));
    assert_eq!(store.read(&o.symbol, Interval::H1).unwrap().len(), 5);
}

#[test]
fn list_and_check_cover_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let a = dir.path().join("a.csv");
    std::fs::write(&a, csv_rows(5, |_, _| {})).unwrap();
    import(&store, &a, &opts("A/USDT", "1h")).unwrap();
    import(&store, &a, &opts("B/USDT", "1h")).unwrap();
    let list = store.list().unwrap();
    assert_eq!(
        list.iter().map(|k| k.symbol.as_str()).collect::<Vec<_>>(),
        ["A/USDT", "B/USDT"]
    );
    assert!(store.check().unwrap().iter().all(|e| e.ok));
    // Corrupt one file by hand: check reports it, without failing the others.
    std::fs::write(store.root().join("B_USDT/1h/bars.parquet"), b"garbage").unwrap();
    let c = store.check().unwrap();
    assert!(c[0].ok);
    assert!(
        !c[1].ok
            && c[1]
                .error
                .as_ref()
                .unwrap()
                .contains("not a readable Parquet file")
    );
}

#[test]
fn data_hash_covers_name_and_bytes_and_finds_perpetual_keys() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path());
    let file = shared_data().join("binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");
    let spot = opts("BTC/USDT", "1h");
    let perp = opts("BTC/USDT:USDT", "1h");
    import(&store, &file, &spot).unwrap();
    import(&store, &file, &perp).unwrap();
    let h1 = Interval::H1;
    let one = store.data_hash(&[(spot.symbol.clone(), h1)]).unwrap();
    // The rule, spelled out: name NUL length NUL bytes, per dataset.
    let bytes = std::fs::read(store.bars_path(&spot.symbol, h1)).unwrap();
    let mut h = Sha256::new();
    h.update(format!("BTC_USDT/1h/bars.parquet\0{}\0", bytes.len()).as_bytes());
    h.update(&bytes);
    let want: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(one, format!("sha256:{want}"));
    // The perpetual's own file (BTC_USDT_USDT), same bytes, different name: a different hash.
    let p = store.data_hash(&[(perp.symbol.clone(), h1)]).unwrap();
    assert_ne!(p, one);
    assert_eq!(store.data_hash(&[(perp.symbol.clone(), h1)]).unwrap(), p);
    let missing = store
        .data_hash(&[(Symbol::parse("ETH/USDT").unwrap(), h1)])
        .unwrap_err();
    assert!(matches!(missing, DataError::NotFound { .. }), "{missing}");
}
