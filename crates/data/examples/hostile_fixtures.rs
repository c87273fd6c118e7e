//! Writes the Parquet fixtures of `scripts/hostile/run.sh` into the directory given as the first
//! argument: codecs (snappy, gzip, lz4, zstd), string prices, nulls, a year-5138 timestamp, and a
//! `bars.parquet` with a string `ts` column as another tool would write it.
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

const H: i64 = 3_600_000;
const T0: i64 = 1_733_011_200_000; // 2024-12-01T00:00:00Z

fn write(
    path: &Path,
    cols: Vec<(&str, ArrayRef)>,
    c: Compression,
) -> Result<(), Box<dyn std::error::Error>> {
    let schema = Arc::new(Schema::new(
        cols.iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect())?;
    let props = WriterProperties::builder().set_compression(c).build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path)?, schema, Some(props))?;
    w.write(&batch)?;
    w.close()?;
    Ok(())
}

/// The 10 audit bars (o = 100 + i, h = o + 2, l = o - 2, c = o + 1, v = 1000 + i) from `t0`.
fn ohlcv(t0: i64, n: usize) -> Vec<(&'static str, ArrayRef)> {
    let f = |g: &dyn Fn(f64) -> f64| {
        Arc::new(Float64Array::from(
            (0..n).map(|i| g(100.0 + i as f64)).collect::<Vec<_>>(),
        )) as ArrayRef
    };
    vec![
        (
            "ts",
            Arc::new(Int64Array::from(
                (0..n as i64).map(|i| t0 + i * H).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        ("open", f(&|o| o)),
        ("high", f(&|o| o + 2.0)),
        ("low", f(&|o| o - 2.0)),
        ("close", f(&|o| o + 1.0)),
        ("volume", f(&|o| 900.0 + o)),
    ]
}

fn with(
    mut cols: Vec<(&'static str, ArrayRef)>,
    name: &'static str,
    a: ArrayRef,
) -> Vec<(&'static str, ArrayRef)> {
    for c in cols.iter_mut() {
        if c.0 == name {
            c.1 = a.clone();
        }
    }
    cols
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: hostile_fixtures DIR")?;
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    for (name, c) in [
        ("snappy", Compression::SNAPPY),
        ("gzip", Compression::GZIP(GzipLevel::default())),
        ("lz4", Compression::LZ4_RAW),
        ("zstd", Compression::ZSTD(ZstdLevel::default())),
    ] {
        write(&dir.join(format!("codec_{name}.parquet")), ohlcv(T0, 10), c)?;
    }
    let s = |v: &str| Arc::new(StringArray::from(vec![v; 10])) as ArrayRef;
    write(
        &dir.join("str_prices_zstd.parquet"),
        with(ohlcv(T0, 10), "open", s("100")),
        Compression::ZSTD(ZstdLevel::default()),
    )?;
    write(
        &dir.join("str_garbage_zstd.parquet"),
        with(ohlcv(T0, 10), "open", s("x")),
        Compression::ZSTD(ZstdLevel::default()),
    )?;
    let nulls = Arc::new(Float64Array::from(
        (0..10)
            .map(|i| if i == 3 { None } else { Some(100.0 + i as f64) })
            .collect::<Vec<_>>(),
    )) as ArrayRef;
    write(
        &dir.join("null_price_zstd.parquet"),
        with(ohlcv(T0, 10), "open", nulls),
        Compression::ZSTD(ZstdLevel::default()),
    )?;
    // 3 bars on 2001-09-09 and 3 in year 5138 (ms 99999997200000).
    let ts: Vec<i64> = vec![
        1_000_000_800_000 - 1_000_000_800_000 % H,
        1_000_000_800_000 - 1_000_000_800_000 % H + H,
        1_000_000_800_000 - 1_000_000_800_000 % H + 2 * H,
        99_999_997_200_000,
        99_999_997_200_000 + H,
        99_999_997_200_000 + 2 * H,
    ];
    write(
        &dir.join("ts_hugegap.parquet"),
        with(ohlcv(T0, 6), "ts", Arc::new(Int64Array::from(ts))),
        Compression::UNCOMPRESSED,
    )?;
    // A bars.parquet as pandas would write it: `ts` as ISO strings, no tradelab metadata.
    let iso: Vec<String> = (0..10)
        .map(|i| tradelab_core::time::format_ms(T0 + i * H))
        .collect();
    write(
        &dir.join("foreign_bars.parquet"),
        with(ohlcv(T0, 10), "ts", Arc::new(StringArray::from(iso))),
        Compression::SNAPPY,
    )?;
    // A store-schema bars.parquet whose row 11 has a NaN close (hand-edited store file).
    let closes = Arc::new(Float64Array::from(
        (0..20)
            .map(|i| if i == 10 { f64::NAN } else { 101.0 + i as f64 })
            .collect::<Vec<_>>(),
    )) as ArrayRef;
    let store_schema_cols = with(ohlcv(T0, 20), "close", closes);
    let schema = Arc::new(Schema::new(
        store_schema_cols
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        store_schema_cols.into_iter().map(|(_, a)| a).collect(),
    )?;
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(dir.join("nan_bars.parquet"))?,
        schema,
        None,
    )?;
    w.write(&batch)?;
    w.close()?;
    println!("wrote fixtures to {}", dir.display());
    Ok(())
}
