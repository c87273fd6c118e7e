//! Hostile input and concurrency (issue #11): no data loss, clear refusals.
#![allow(clippy::result_large_err)]
mod common;

use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use common::*;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;
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

/// `n` hourly CSV rows from `start` ms with ISO timestamps.
fn iso_rows(start: i64, n: usize) -> String {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..n {
        let t = tradelab_core::time::format_ms(start + i as i64 * H);
        let o = 100.0 + i as f64;
        s.push_str(&format!(
            "{t},{o},{},{},{},{}\n",
            o + 2.0,
            o - 2.0,
            o + 1.0,
            1000 + i
        ));
    }
    s
}

const Y1971: i64 = 31_536_000_000; // 1971-01-01T00:00:00Z

#[test]
fn bars_before_1973_survive_read_back_and_reimport() {
    // Audit #38: stored 1971 ms (< 1e11) were read back as seconds (year 2969) and rewritten.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let old = dir.path().join("y1971.csv");
    std::fs::write(&old, iso_rows(Y1971, 10)).unwrap();
    let o = opts("OLD/USDT", "1h");
    let r = import(&store, &old, &o).unwrap();
    assert_eq!(r.merge.rows_total, 10);
    assert_eq!(store.read(&o.symbol, o.interval).unwrap().ts[0], Y1971);
    // The same file again changes nothing (was: 10 added, 20 stored).
    let r = import(&store, &old, &o).unwrap();
    assert_eq!(
        (r.merge.rows_added, r.merge.rows_total, r.merge.written),
        (0, 10, false)
    );
    // New bars are added and the 1971 bars stay where they were.
    let new = dir.path().join("new.csv");
    std::fs::write(&new, iso_rows(T0, 10)).unwrap();
    let r = import(&store, &new, &o).unwrap();
    assert_eq!(r.merge.rows_total, 20);
    let ts = store.read(&o.symbol, o.interval).unwrap().ts;
    assert_eq!(ts[0], Y1971);
    assert_eq!(ts[9], Y1971 + 9 * H);
    assert_eq!(ts[10], T0);
    assert!(store.check().unwrap().iter().all(|e| e.ok));
    // Epoch 0 (1970-01-01) is the first supported bar.
    let zero = dir.path().join("zero.csv");
    std::fs::write(&zero, iso_rows(0, 3)).unwrap();
    import(&store, &zero, &opts("ZERO/USDT", "1h")).unwrap();
    assert_eq!(
        store
            .read(&Symbol::parse("ZERO/USDT").unwrap(), Interval::H1)
            .unwrap()
            .ts[0],
        0
    );
}

#[test]
fn times_outside_1970_to_2100_are_refused_on_import() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    // Audit #29: negative epoch ms (meant 1969-12-31) were read as seconds (1968) and stored.
    let neg = dir.path().join("neg_epoch.csv");
    std::fs::write(
        &neg,
        csv_rows(10, |i, v| v[0] = (-36_000_000 + i as i64 * H).to_string()),
    )
    .unwrap();
    let e = import(&store, &neg, &opts("SOL/USDT", "1h"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("neg_epoch.csv: row 1 (line 2): field `ts`")
            && e.contains("negative epoch")
            && e.contains("1970-01-01"),
        "{e}"
    );
    // ISO dates before 1970.
    let iso = dir.path().join("y1969.csv");
    std::fs::write(&iso, iso_rows(-10 * H, 10)).unwrap();
    let e = import(&store, &iso, &opts("SOL/USDT", "1h"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("y1969.csv: row 1") && e.contains("field `ts`") && e.contains("supported range"),
        "{e}"
    );
    // Audit #37: year 5138 (ms 99999997200000) in a Parquet int64 column.
    let p = dir.path().join("ts_hugegap.parquet");
    let ts = vec![
        1_000_000_800_000 - 1_000_000_800_000 % H,
        99_999_997_200_000,
        99_999_997_200_000 + H,
    ];
    write_parquet(
        &p,
        Arc::new(Int64Array::from(ts)),
        vec![1.0; 3],
        Compression::UNCOMPRESSED,
    );
    let e = import(&store, &p, &opts("X/USDT", "1h"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("ts_hugegap.parquet: row 2") && e.contains("5138") && e.contains("2100-01-01"),
        "{e}"
    );
    assert!(!dir.path().join("s").exists(), "nothing may be written");
}

fn write_parquet(path: &Path, ts: ArrayRef, close: Vec<f64>, compression: Compression) {
    let n = close.len();
    let f = |v: f64| Arc::new(Float64Array::from(vec![v; n])) as ArrayRef;
    let schema = Arc::new(Schema::new(vec![
        Field::new("ts", ts.data_type().clone(), false),
        Field::new("open", DataType::Float64, false),
        Field::new("high", DataType::Float64, false),
        Field::new("low", DataType::Float64, false),
        Field::new("close", DataType::Float64, false),
        Field::new("volume", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            ts,
            f(1.0),
            f(2.0),
            f(0.5),
            Arc::new(Float64Array::from(close)),
            f(10.0),
        ],
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_compression(compression)
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn eight_concurrent_imports_into_one_dataset_keep_every_bar() {
    // Audit #63: two imports at once, both "10 added", one set of bars lost.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    let base = dir.path().join("base.csv");
    std::fs::write(&base, iso_rows(T0, 200)).unwrap();
    import(&Store::open(&root), &base, &opts("BTC/USDT", "1h")).unwrap();
    let files: Vec<_> = (0..8)
        .map(|k| {
            let f = dir.path().join(format!("t{k}.csv"));
            std::fs::write(&f, iso_rows(T0 + (1000 + k as i64 * 20) * H, 10)).unwrap();
            f
        })
        .collect();
    for round in 0..3 {
        let root_r = dir.path().join(format!("s{round}"));
        copy_dir(&root, &root_r);
        let barrier = Arc::new(std::sync::Barrier::new(files.len()));
        let handles: Vec<_> = files
            .iter()
            .cloned()
            .map(|f| {
                let (root_r, barrier) = (root_r.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    import(&Store::open(&root_r), &f, &opts("BTC/USDT", "1h"))
                        .unwrap()
                        .merge
                        .rows_added
                })
            })
            .collect();
        let added: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(added, 80);
        let bars = Store::open(&root_r)
            .read(&Symbol::parse("BTC/USDT").unwrap(), Interval::H1)
            .unwrap();
        assert_eq!(
            bars.len(),
            280,
            "round {round}: every import's bars must be present"
        );
        assert!(Store::open(&root_r).check().unwrap().iter().all(|e| e.ok));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn snappy_gzip_and_lz4_parquet_are_read() {
    // Audit #43: "Disabled feature at compile time: snap" for pandas' default codec.
    let dir = tempfile::tempdir().unwrap();
    for (name, c) in [
        ("snappy", Compression::SNAPPY),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("lz4", Compression::LZ4_RAW),
    ] {
        let p = dir.path().join(format!("{name}.parquet"));
        write_parquet(
            &p,
            Arc::new(Int64Array::from(
                (0..5).map(|i| T0 + i * H).collect::<Vec<_>>(),
            )),
            vec![1.5; 5],
            c,
        );
        let r = import(
            &Store::open(dir.path().join(name)),
            &p,
            &opts("A/USDT", "1h"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.merge.rows_added, 5, "{name}");
    }
}

#[test]
fn string_prices_in_parquet_are_refused_naming_the_column() {
    // Audit #44/#45: "100" strings were coerced silently; "x" was reported as "missing value".
    let dir = tempfile::tempdir().unwrap();
    for (name, v) in [("str_prices", "100"), ("str_garbage", "x")] {
        let p = dir.path().join(format!("{name}.parquet"));
        let n = 5;
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Int64, false),
            Field::new("open", DataType::Utf8, false),
            Field::new("high", DataType::Float64, false),
            Field::new("low", DataType::Float64, false),
            Field::new("close", DataType::Float64, false),
            Field::new("volume", DataType::Float64, false),
        ]));
        let f = |x: f64| Arc::new(Float64Array::from(vec![x; n])) as ArrayRef;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(
                (0..n as i64).map(|i| T0 + i * H).collect::<Vec<_>>(),
            )),
            Arc::new(StringArray::from(vec![v; n])),
            f(200.0),
            f(50.0),
            f(100.0),
            f(1.0),
        ];
        let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
        let mut w = ArrowWriter::try_new(std::fs::File::create(&p).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let e = import(
            &Store::open(dir.path().join("s")),
            &p,
            &opts("A/USDT", "1h"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains(&format!("{name}.parquet"))
                && e.contains("field `open`")
                && e.contains("not numbers")
                && e.contains(&format!("'{v}'")),
            "{e}"
        );
        assert!(!e.contains("missing value"), "{e}");
    }
}

#[test]
fn duplicate_csv_header_is_refused() {
    // Audit #27: `...,volume,close` took the first close without a word.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("dup_header.csv");
    let body = csv_rows(5, |_, v| v.push("1".into())).replacen("volume\n", "volume,close\n", 1);
    std::fs::write(&f, body).unwrap();
    let e = import(
        &Store::open(dir.path().join("s")),
        &f,
        &opts("A/USDT", "1h"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("dup_header.csv")
            && e.contains("`close` twice")
            && e.contains("columns 5 and 7"),
        "{e}"
    );
}

#[test]
fn bar_spacing_that_contradicts_the_interval_is_refused() {
    // Audit #36: a 1h file imported as 5m was stored as a 5m set with 5979 gaps.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("hourly.csv");
    std::fs::write(&f, csv_rows(10, |_, _| {})).unwrap();
    let e = import(
        &Store::open(dir.path().join("s")),
        &f,
        &opts("A/USDT", "5m"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("hourly.csv") && e.contains("--interval 5m") && e.contains("pass --interval 1h"),
        "{e}"
    );
    assert!(!dir.path().join("s").exists());
}

#[test]
fn check_refuses_foreign_schema_and_missing_store() {
    // Audit #55: a bars.parquet with string `ts` passed `data check`; #57: a missing store passed.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s"));
    let a = dir.path().join("a.csv");
    std::fs::write(&a, csv_rows(5, |_, _| {})).unwrap();
    import(&store, &a, &opts("ETH/USDT", "1h")).unwrap();
    let p = store.root().join("ETH_USDT/1h/bars.parquet");
    let ts: Vec<String> = (0..5)
        .map(|i| tradelab_core::time::format_ms(T0 + i * H))
        .collect();
    write_parquet(
        &p,
        Arc::new(StringArray::from(ts)),
        vec![1.5; 5],
        Compression::UNCOMPRESSED,
    );
    let c = store.check().unwrap();
    assert!(!c[0].ok, "{c:?}");
    let e = c[0].error.clone().unwrap();
    assert!(
        e.contains("bars.parquet") && e.contains("column `ts` is Utf8") && e.contains("Int64"),
        "{e}"
    );
    let e = Store::open(dir.path().join("nonexist"))
        .check()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("nonexist") && e.contains("does not exist"),
        "{e}"
    );
    std::fs::write(dir.path().join("storefile"), b"hello").unwrap();
    let e = Store::open(dir.path().join("storefile"))
        .check()
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a directory"), "{e}");
}

#[test]
fn a_50_mb_field_is_not_echoed_whole() {
    // Audit #30: the whole 50 MB field was copied into the error.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bigline.csv");
    let mut body = String::from("timestamp,open,high,low,close,volume\n");
    body.push_str(&"1".repeat(5_000_000));
    body.push('\n');
    std::fs::write(&f, body).unwrap();
    let e = import(
        &Store::open(dir.path().join("s")),
        &f,
        &opts("A/USDT", "1h"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("bigline.csv: row 1 (line 2): field `ts`") && e.len() < 500,
        "{} bytes",
        e.len()
    );
}

#[test]
fn concurrent_funding_merges_keep_every_event() {
    use tradelab_data::series::FundingSeries;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("s");
    let sym = Symbol::parse("BTC/USDT:USDT").unwrap();
    let h8 = 8 * H;
    let handles: Vec<_> = (0..8i64)
        .map(|k| {
            let (root, sym) = (root.clone(), sym.clone());
            std::thread::spawn(move || {
                let s = FundingSeries {
                    ts: (0..10).map(|i| T0 + (k * 10 + i) * h8).collect(),
                    rate: vec![0.0001; 10],
                };
                Store::open(&root)
                    .merge_funding(&sym, &s, OnConflict::Error, "test", Path::new("<t>"))
                    .unwrap()
                    .rows_added
            })
        })
        .collect();
    let added: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(added, 80);
    assert_eq!(Store::open(&root).read_funding(&sym).unwrap().len(), 80);
}
