//! Conversions between Arrow record batches and [`Bars`], with column-name sniffing so the same
//! code reads our own store files, freqtrade Feather files and foreign Parquet files.
use crate::DataError;
use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use tradelab_core::{time::parse_timestamp, Bars};

/// Names accepted for the bar open time, in order of preference.
pub const TS_NAMES: &[&str] = &[
    "ts",
    "timestamp",
    "date",
    "datetime",
    "open_time",
    "opentime",
    "time",
];
pub const TRADES_NAMES: &[&str] = &[
    "trades",
    "trade_count",
    "count",
    "number_of_trades",
    "num_trades",
];
pub const QUOTE_VOLUME_NAMES: &[&str] = &["quote_volume", "quote_asset_volume", "quote_av"];

/// The store's schema: `ts` int64 epoch ms (bar open, UTC), OHLCV f64, optional `trades`, `vwap`.
pub fn store_schema(with_trades: bool, with_vwap: bool) -> Schema {
    let mut ts_meta = HashMap::new();
    ts_meta.insert("unit".to_string(), "ms".to_string());
    ts_meta.insert("tz".to_string(), "UTC".to_string());
    ts_meta.insert("meaning".to_string(), "bar open time".to_string());
    let mut fields = vec![
        Field::new("ts", DataType::Int64, false).with_metadata(ts_meta),
        Field::new("open", DataType::Float64, false),
        Field::new("high", DataType::Float64, false),
        Field::new("low", DataType::Float64, false),
        Field::new("close", DataType::Float64, false),
        Field::new("volume", DataType::Float64, false),
    ];
    if with_trades {
        fields.push(Field::new("trades", DataType::Int64, false));
    }
    if with_vwap {
        fields.push(Field::new("vwap", DataType::Float64, false));
    }
    Schema::new(fields)
}

pub fn bars_to_batch(bars: &Bars) -> Result<RecordBatch, arrow::error::ArrowError> {
    let schema = Arc::new(store_schema(bars.trades.is_some(), bars.vwap.is_some()));
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(bars.ts.clone())),
        Arc::new(Float64Array::from(bars.open.clone())),
        Arc::new(Float64Array::from(bars.high.clone())),
        Arc::new(Float64Array::from(bars.low.clone())),
        Arc::new(Float64Array::from(bars.close.clone())),
        Arc::new(Float64Array::from(bars.volume.clone())),
    ];
    if let Some(t) = &bars.trades {
        cols.push(Arc::new(Int64Array::from(t.clone())));
    }
    if let Some(v) = &bars.vwap {
        cols.push(Arc::new(Float64Array::from(v.clone())));
    }
    RecordBatch::try_new(schema, cols)
}

/// How integer timestamps are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsMode {
    /// Foreign files: integer epochs of unknown unit, decided per value ([`tradelab_core::time::epoch_to_ms`]).
    Import,
    /// The store's own files: int64 epoch ms, taken exactly as stored.
    Store,
}

/// Refuses a `bars.parquet` whose schema is not the store's: `ts` int64 (epoch ms) and f64
/// `open, high, low, close, volume` (a file written by another tool is imported, not stored).
pub fn check_store_schema(schema: &Schema, file: &Path) -> Result<(), DataError> {
    let want = |name: &str, ty: &DataType| -> Result<(), DataError> {
        match schema.fields().iter().find(|f| f.name() == name) {
            None => Err(DataError::bad_file(file, format!("not a tradelab store file: no `{name}` column (the store holds ts int64 epoch ms and f64 open, high, low, close, volume)"))),
            Some(f) if f.data_type() != ty => Err(DataError::bad_file(
                file,
                format!("not a tradelab store file: column `{name}` is {}, the store holds {ty} (import foreign files with `tradelab data import`)", f.data_type()),
            )),
            Some(_) => Ok(()),
        }
    };
    want("ts", &DataType::Int64)?;
    for name in ["open", "high", "low", "close", "volume"] {
        want(name, &DataType::Float64)?;
    }
    Ok(())
}

/// Refuses a file in which a column we read appears twice (which one is meant?).
fn refuse_duplicate_columns(schema: &Schema, file: &Path) -> Result<(), DataError> {
    let lower: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().trim().to_ascii_lowercase())
        .collect();
    for (i, n) in lower.iter().enumerate() {
        if n.is_empty() {
            continue;
        }
        if let Some(j) = lower[i + 1..].iter().position(|m| m == n) {
            return Err(DataError::bad_file(
                file,
                format!(
                    "column `{n}` appears twice (columns {} and {}); rename or drop one",
                    i + 1,
                    i + j + 2
                ),
            ));
        }
    }
    Ok(())
}

fn find(schema: &Schema, names: &[&str]) -> Option<usize> {
    let lower: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().trim().to_ascii_lowercase())
        .collect();
    names.iter().find_map(|n| lower.iter().position(|l| l == n))
}

/// Timestamp column → epoch ms, whatever its Arrow type.
fn ts_to_ms(
    col: &ArrayRef,
    file: &Path,
    offset: usize,
    mode: TsMode,
    out: &mut Vec<i64>,
) -> Result<(), DataError> {
    let row_err = |i: usize, message: String| DataError::BadRow {
        file: file.to_path_buf(),
        row: offset + i + 1,
        line: None,
        message,
    };
    match col.data_type() {
        DataType::Timestamp(unit, _) => {
            let div: (i64, i64) = match unit {
                TimeUnit::Second => (1, 1000),
                TimeUnit::Millisecond => (1, 1),
                TimeUnit::Microsecond => (1000, 1),
                TimeUnit::Nanosecond => (1_000_000, 1),
            };
            let a = cast(col, &DataType::Int64)
                .map_err(|e| DataError::bad_file(file, e.to_string()))?;
            let a = a
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataError::bad_file(file, "timestamp cast failed"))?;
            for i in 0..a.len() {
                if a.is_null(i) {
                    return Err(row_err(i, "field `ts`: missing timestamp".into()));
                }
                out.push(a.value(i).div_euclid(div.0) * div.1);
            }
        }
        DataType::Utf8 | DataType::LargeUtf8 => {
            let get = |i: usize| -> Option<&str> {
                if col.is_null(i) {
                    return None;
                }
                if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                    Some(s.value(i))
                } else {
                    col.as_any()
                        .downcast_ref::<LargeStringArray>()
                        .map(|s| s.value(i))
                }
            };
            for i in 0..col.len() {
                let s = get(i).ok_or_else(|| row_err(i, "field `ts`: missing timestamp".into()))?;
                out.push(parse_timestamp(s).map_err(|e| row_err(i, format!("field `ts`: {e}")))?);
            }
        }
        DataType::Int64 if mode == TsMode::Store => {
            let a = col
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataError::bad_file(file, "timestamp column is not int64"))?;
            for i in 0..a.len() {
                if a.is_null(i) {
                    return Err(row_err(i, "field `ts`: missing timestamp".into()));
                }
                out.push(a.value(i));
            }
        }
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float64 => {
            let a = cast(col, &DataType::Int64)
                .map_err(|e| DataError::bad_file(file, e.to_string()))?;
            let a = a
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataError::bad_file(file, "timestamp cast failed"))?;
            for i in 0..a.len() {
                if a.is_null(i) {
                    return Err(row_err(i, "field `ts`: missing timestamp".into()));
                }
                let v = a.value(i);
                if v < 0 {
                    return Err(row_err(
                        i,
                        format!(
                            "field `ts`: negative epoch {v} is before 1970-01-01; supported: {}",
                            tradelab_core::time::SUPPORTED_RANGE
                        ),
                    ));
                }
                out.push(tradelab_core::time::epoch_to_ms(v));
            }
        }
        DataType::Date32 | DataType::Date64 => {
            let a = cast(col, &DataType::Timestamp(TimeUnit::Millisecond, None))
                .map_err(|e| DataError::bad_file(file, e.to_string()))?;
            return ts_to_ms(&a, file, offset, mode, out);
        }
        other => {
            return Err(DataError::bad_file(
                file,
                format!("timestamp column has unsupported type {other}"),
            ))
        }
    }
    Ok(())
}

fn f64_col(
    col: &ArrayRef,
    name: &str,
    file: &Path,
    offset: usize,
    out: &mut Vec<f64>,
) -> Result<(), DataError> {
    let numeric = col.data_type().is_numeric() || matches!(col.data_type(), DataType::Null);
    if !numeric {
        let first = (0..col.len()).find(|&i| !col.is_null(i)).and_then(|i| {
            cast(&col.slice(i, 1), &DataType::Utf8).ok().and_then(|a| {
                a.as_any()
                    .downcast_ref::<StringArray>()
                    .map(|s| (i, tradelab_core::cap_text(s.value(0), 40)))
            })
        });
        let at = first
            .map(|(i, v)| format!(" (row {}: '{v}')", offset + i + 1))
            .unwrap_or_default();
        return Err(DataError::bad_file(
            file,
            format!("field `{name}`: column holds {} values{at}, not numbers; write `{name}` as a float or integer column", col.data_type()),
        ));
    }
    let a = cast(col, &DataType::Float64)
        .map_err(|e| DataError::bad_file(file, format!("column `{name}`: {e}")))?;
    let a = a
        .as_any()
        .downcast_ref::<Float64Array>()
        .ok_or_else(|| DataError::bad_file(file, format!("column `{name}` is not numeric")))?;
    for i in 0..a.len() {
        if a.is_null(i) {
            return Err(DataError::BadRow {
                file: file.to_path_buf(),
                row: offset + i + 1,
                line: None,
                message: format!("field `{name}`: missing value"),
            });
        }
        out.push(a.value(i));
    }
    Ok(())
}

/// Builds bars from record batches, finding columns by (case-insensitive) name. `vwap` is taken
/// from a `vwap` column, else derived as quote volume / volume (close when volume is 0).
pub fn batches_to_bars(
    schema: &Schema,
    batches: &[RecordBatch],
    file: &Path,
    mode: TsMode,
) -> Result<Bars, DataError> {
    refuse_duplicate_columns(schema, file)?;
    let ts_i = find(schema, TS_NAMES).ok_or_else(|| {
        DataError::bad_file(
            file,
            format!(
                "no timestamp column (looked for {}); columns are {:?}",
                TS_NAMES.join("|"),
                schema.fields().iter().map(|f| f.name()).collect::<Vec<_>>()
            ),
        )
    })?;
    let mut idx = Vec::new();
    for name in ["open", "high", "low", "close", "volume"] {
        idx.push(
            find(schema, &[name])
                .ok_or_else(|| DataError::bad_file(file, format!("missing column `{name}`")))?,
        );
    }
    let trades_i = find(schema, TRADES_NAMES);
    let vwap_i = find(schema, &["vwap"]);
    let quote_i = if vwap_i.is_none() {
        find(schema, QUOTE_VOLUME_NAMES)
    } else {
        None
    };
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    let mut bars = Bars::with_capacity(n);
    let mut trades = trades_i.map(|_| Vec::with_capacity(n));
    let mut vwap = (vwap_i.is_some() || quote_i.is_some()).then(|| Vec::with_capacity(n));
    let mut offset = 0;
    for b in batches {
        ts_to_ms(b.column(ts_i), file, offset, mode, &mut bars.ts)?;
        let outs: [(&str, &mut Vec<f64>); 5] = [
            ("open", &mut bars.open),
            ("high", &mut bars.high),
            ("low", &mut bars.low),
            ("close", &mut bars.close),
            ("volume", &mut bars.volume),
        ];
        for ((name, out), ci) in outs.into_iter().zip(&idx) {
            f64_col(b.column(*ci), name, file, offset, out)?;
        }
        if let (Some(ti), Some(t)) = (trades_i, trades.as_mut()) {
            let mut tmp = Vec::with_capacity(b.num_rows());
            f64_col(b.column(ti), "trades", file, offset, &mut tmp)?;
            t.extend(tmp.into_iter().map(|x| x as i64));
        }
        if let Some(v) = vwap.as_mut() {
            if let Some(vi) = vwap_i {
                f64_col(b.column(vi), "vwap", file, offset, v)?;
            } else if let Some(qi) = quote_i {
                let mut q = Vec::with_capacity(b.num_rows());
                f64_col(b.column(qi), "quote_volume", file, offset, &mut q)?;
                let start = bars.close.len() - b.num_rows();
                for (k, qv) in q.into_iter().enumerate() {
                    let vol = bars.volume[start + k];
                    v.push(if vol > 0.0 {
                        qv / vol
                    } else {
                        bars.close[start + k]
                    });
                }
            }
        }
        offset += b.num_rows();
    }
    bars.trades = trades;
    bars.vwap = vwap;
    Ok(bars)
}
