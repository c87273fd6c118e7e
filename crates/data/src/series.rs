//! Non-bar series: funding rates of perpetual swaps.
//!
//! Layout: `<store>/<SYMBOL_KEY>/funding/series.parquet`, one file per symbol (e.g.
//! `BTC_USDT_USDT/funding/series.parquet` for `BTC/USDT:USDT`). Columns: `ts` (int64, UTC epoch ms
//! of the funding event, kept exactly as the exchange reports it) and `rate` (f64, the fraction paid
//! per funding interval: 0.0001 = 0.01 %). zstd compressed; the key-value metadata holds the format,
//! kind, symbol and every write's source, like the bar files. Writes are atomic (temp file, fsync,
//! rename) and validated first, so a bad input never changes what is stored.
//!
//! The directory `funding` is not an interval name, so [`Store::list`] (which looks for
//! `bars.parquet`) never mistakes a series for a bar set.
use crate::arrow_bars::{TsMode, TS_NAMES};
use crate::parquet_io::{read_batches, read_kv, write_batch_atomic};
use crate::store::{refuse_symlinks, OnConflict, SourceRecord, Store};
use crate::DataError;
use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, LargeStringArray, RecordBatch, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tradelab_core::time::{epoch_to_ms, format_ms, parse_timestamp};
use tradelab_core::Symbol;

/// Directory of the funding series inside a symbol's directory.
pub const FUNDING_DIR: &str = "funding";
pub const SERIES_FILE: &str = "series.parquet";
pub const SERIES_FORMAT: &str = "tradelab.series/1";
/// A funding rate is a fraction per funding interval; Binance caps it at a few percent. Anything
/// at or above 100 % is a unit mistake (percent instead of fraction) or garbage.
pub const MAX_ABS_FUNDING_RATE: f64 = 1.0;
/// Funding events before 2016 (BitMEX introduced perpetuals in May 2016) or after 2100 mean a
/// wrong epoch unit.
const MIN_TS: i64 = 1_451_606_400_000; // 2016-01-01
const MAX_TS: i64 = 4_102_444_800_000; // 2100-01-01

const KV_FORMAT: &str = "tradelab.format";
const KV_KIND: &str = "tradelab.kind";
const KV_SYMBOL: &str = "tradelab.symbol";
const KV_SOURCES: &str = "tradelab.sources";

/// Column names accepted for the rate when reading foreign files. freqtrade keeps the funding rate
/// in `open` of its `*-funding_rate.feather` files.
const RATE_NAMES: &[&str] = &["rate", "funding_rate", "fundingrate", "funding", "open"];

/// Funding events: `ts` (epoch ms) and `rate` (fraction), one value per event, sorted by time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FundingSeries {
    pub ts: Vec<i64>,
    pub rate: Vec<f64>,
}

impl FundingSeries {
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Checks lengths, finite and plausible rates, plausible and strictly increasing timestamps.
    /// Errors name `file`, the 1-based row and the field.
    pub fn validate(&self, file: &Path) -> Result<(), DataError> {
        if self.ts.len() != self.rate.len() {
            return Err(DataError::bad_file(
                file,
                format!(
                    "column lengths differ: {} timestamps, {} rates",
                    self.ts.len(),
                    self.rate.len()
                ),
            ));
        }
        let row_err = |i: usize, message: String| DataError::BadRow {
            file: file.to_path_buf(),
            row: i + 1,
            line: None,
            message,
        };
        for i in 0..self.ts.len() {
            let (t, r) = (self.ts[i], self.rate[i]);
            if !(MIN_TS..MAX_TS).contains(&t) {
                return Err(row_err(
                    i,
                    format!(
                        "field `ts`: {t} ({}) is outside 2016..2100: wrong epoch unit?",
                        format_ms(t)
                    ),
                ));
            }
            if i > 0 && t <= self.ts[i - 1] {
                let what = if t == self.ts[i - 1] {
                    "duplicate"
                } else {
                    "unsorted"
                };
                return Err(row_err(
                    i,
                    format!(
                        "field `ts`: {} is not after the previous event {} ({what} timestamps)",
                        format_ms(t),
                        format_ms(self.ts[i - 1])
                    ),
                ));
            }
            if !r.is_finite() {
                return Err(row_err(
                    i,
                    format!("field `rate`: value {r} is not a finite number"),
                ));
            }
            if r.abs() >= MAX_ABS_FUNDING_RATE {
                return Err(row_err(i, format!("field `rate`: {r} is not a funding rate (|rate| must be below {MAX_ABS_FUNDING_RATE}; rates are fractions, 0.0001 = 0.01 %)")));
            }
        }
        Ok(())
    }
}

/// Summary of a stored funding series.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingInfo {
    pub symbol: String,
    /// Always `funding`.
    pub kind: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub rows: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub first_iso: Option<String>,
    pub last_iso: Option<String>,
    /// Median time between events (28,800,000 for 8-hourly funding).
    pub median_spacing_ms: Option<i64>,
    /// Events further apart than twice the median spacing.
    pub long_pauses: usize,
    pub mean_rate: Option<f64>,
    pub sources: Vec<SourceRecord>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingMergeReport {
    pub rows_in: usize,
    pub rows_added: usize,
    pub rows_unchanged: usize,
    pub rows_replaced: usize,
    pub rows_kept: usize,
    pub rows_total: usize,
    /// False when nothing changed and the file was left untouched.
    pub written: bool,
    pub info: FundingInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingImportReport {
    pub file: String,
    pub format: String,
    #[serde(flatten)]
    pub merge: FundingMergeReport,
}

impl Store {
    /// `<root>/<SYMBOL_KEY>/funding/series.parquet`.
    pub fn funding_path(&self, symbol: &Symbol) -> PathBuf {
        self.root()
            .join(symbol.key())
            .join(FUNDING_DIR)
            .join(SERIES_FILE)
    }

    pub fn has_funding(&self, symbol: &Symbol) -> bool {
        self.funding_path(symbol).is_file()
    }

    /// Reads a symbol's funding series.
    pub fn read_funding(&self, symbol: &Symbol) -> Result<FundingSeries, DataError> {
        Ok(self.read_funding_with_meta(symbol)?.0)
    }

    fn read_funding_with_meta(
        &self,
        symbol: &Symbol,
    ) -> Result<(FundingSeries, BTreeMap<String, String>), DataError> {
        let path = self.funding_path(symbol);
        if !path.is_file() {
            return Err(DataError::NoFunding {
                file: path,
                store: self.root().to_path_buf(),
                symbol: symbol.to_string(),
            });
        }
        read_series_parquet(&path)
    }

    pub fn funding_info(&self, symbol: &Symbol) -> Result<FundingInfo, DataError> {
        let (s, kv) = self.read_funding_with_meta(symbol)?;
        Ok(self.funding_info_of(symbol, &s, &kv))
    }

    fn funding_info_of(
        &self,
        symbol: &Symbol,
        s: &FundingSeries,
        kv: &BTreeMap<String, String>,
    ) -> FundingInfo {
        let path = self.funding_path(symbol);
        let mut diffs: Vec<i64> = s.ts.windows(2).map(|w| w[1] - w[0]).collect();
        diffs.sort_unstable();
        let median = diffs.get(diffs.len() / 2).copied();
        let long_pauses = median.map_or(0, |m| {
            s.ts.windows(2).filter(|w| w[1] - w[0] > 2 * m).count()
        });
        FundingInfo {
            symbol: kv
                .get(KV_SYMBOL)
                .cloned()
                .unwrap_or_else(|| symbol.to_string()),
            kind: "funding".into(),
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
            rows: s.len(),
            first: s.ts.first().copied(),
            last: s.ts.last().copied(),
            first_iso: s.ts.first().map(|t| format_ms(*t)),
            last_iso: s.ts.last().map(|t| format_ms(*t)),
            median_spacing_ms: median,
            long_pauses,
            mean_rate: (!s.is_empty()).then(|| s.rate.iter().sum::<f64>() / s.len() as f64),
            sources: kv
                .get(KV_SOURCES)
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default(),
        }
    }

    /// Symbols that have a funding series, sorted.
    pub fn list_funding(&self) -> Result<Vec<String>, DataError> {
        let mut out = Vec::new();
        if !self.root().is_dir() {
            return Ok(out);
        }
        let rd = std::fs::read_dir(self.root()).map_err(|e| DataError::io(self.root(), e))?;
        for e in rd.flatten() {
            let file = e.path().join(FUNDING_DIR).join(SERIES_FILE);
            if file.is_file() {
                let name = read_kv(&file)
                    .and_then(|kv| kv.get(KV_SYMBOL).cloned())
                    .unwrap_or_else(|| e.file_name().to_string_lossy().to_string());
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Merges validated, sorted funding events into the symbol's series. New timestamps are added,
    /// identical events skipped (re-running a download changes nothing and leaves the file
    /// untouched), differing rates follow `on_conflict`. `file` names the origin in errors.
    pub fn merge_funding(
        &self,
        symbol: &Symbol,
        incoming: &FundingSeries,
        on_conflict: OnConflict,
        source: &str,
        file: &Path,
    ) -> Result<FundingMergeReport, DataError> {
        // Same rule as for bars: no writing through a symlink that could alias another symbol.
        let sym_dir = self.root().join(symbol.key());
        refuse_symlinks(&[
            &sym_dir,
            &sym_dir.join(FUNDING_DIR),
            &sym_dir.join(FUNDING_DIR).join(SERIES_FILE),
        ])?;
        incoming.validate(file)?;
        let path = self.funding_path(symbol);
        // One writer at a time per series: the read-merge-write below must not interleave.
        let _lock = crate::lock::DirLock::acquire(&sym_dir.join(FUNDING_DIR))?;
        let (existing, mut kv) = if path.is_file() {
            read_series_parquet(&path)?
        } else {
            (FundingSeries::default(), BTreeMap::new())
        };
        if let Some(kind) = kv.get(KV_KIND) {
            if kind != "funding" {
                return Err(DataError::bad_file(
                    &path,
                    format!("stored series kind is {kind}, not funding"),
                ));
            }
        }

        let (mut out, mut kept_out) = (FundingSeries::default(), FundingSeries::default());
        let (mut added, mut unchanged, mut conflicts) = (0usize, 0usize, 0usize);
        let mut first_conflict: Option<(usize, usize)> = None;
        let (mut i, mut j) = (0, 0);
        let push = |s: &mut FundingSeries, t: i64, r: f64| {
            s.ts.push(t);
            s.rate.push(r);
        };
        while i < existing.len() || j < incoming.len() {
            if j >= incoming.len() || (i < existing.len() && existing.ts[i] < incoming.ts[j]) {
                push(&mut out, existing.ts[i], existing.rate[i]);
                push(&mut kept_out, existing.ts[i], existing.rate[i]);
                i += 1;
            } else if i >= existing.len() || incoming.ts[j] < existing.ts[i] {
                push(&mut out, incoming.ts[j], incoming.rate[j]);
                push(&mut kept_out, incoming.ts[j], incoming.rate[j]);
                added += 1;
                j += 1;
            } else {
                if existing.rate[i].to_bits() == incoming.rate[j].to_bits() {
                    unchanged += 1;
                } else {
                    conflicts += 1;
                    first_conflict.get_or_insert((i, j));
                }
                push(&mut out, incoming.ts[j], incoming.rate[j]);
                push(&mut kept_out, existing.ts[i], existing.rate[i]);
                i += 1;
                j += 1;
            }
        }
        if conflicts > 0 && on_conflict == OnConflict::Error {
            let (ci, cj) = first_conflict.unwrap_or((0, 0));
            return Err(DataError::Conflict {
                file: file.to_path_buf(),
                symbol: symbol.to_string(),
                interval: "funding".into(),
                count: conflicts,
                first_ts: format_ms(incoming.ts[cj]),
                detail: format!(
                    "stored rate {}, incoming {}",
                    existing.rate[ci], incoming.rate[cj]
                ),
            });
        }
        let merged = if on_conflict == OnConflict::Keep {
            kept_out
        } else {
            out
        };
        let replaced = if on_conflict == OnConflict::Replace {
            conflicts
        } else {
            0
        };
        let kept = if on_conflict == OnConflict::Keep {
            conflicts
        } else {
            0
        };
        let changed = added > 0 || replaced > 0;
        if changed {
            merged
                .validate(file)
                .map_err(|e| DataError::bad_file(file, format!("merged series invalid: {e}")))?;
            let mut sources: Vec<SourceRecord> = kv
                .get(KV_SOURCES)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            sources.push(SourceRecord {
                source: source.to_string(),
                rows_added: added,
                rows_replaced: replaced,
                first: incoming.ts.first().copied().unwrap_or(0),
                last: incoming.ts.last().copied().unwrap_or(0),
                at: chrono::Utc::now().timestamp_millis(),
            });
            kv.insert(KV_FORMAT.into(), SERIES_FORMAT.into());
            kv.insert(KV_KIND.into(), "funding".into());
            kv.insert(KV_SYMBOL.into(), symbol.to_string());
            kv.insert(
                KV_SOURCES.into(),
                serde_json::to_string(&sources).unwrap_or_else(|_| "[]".into()),
            );
            write_series_atomic(&path, &merged, &kv)?;
        }
        let final_series = if changed { merged } else { existing };
        let info = self.funding_info_of(symbol, &final_series, &kv);
        Ok(FundingMergeReport {
            rows_in: incoming.len(),
            rows_added: added,
            rows_unchanged: unchanged,
            rows_replaced: replaced,
            rows_kept: kept,
            rows_total: final_series.len(),
            written: changed,
            info,
        })
    }
}

/// Imports a funding-rate file (freqtrade `*-funding_rate.feather`, Parquet, or CSV) into the store.
/// The source label defaults to `file:<name>`.
pub fn import_funding_file(
    store: &Store,
    file: &Path,
    symbol: &Symbol,
    on_conflict: OnConflict,
    source: Option<&str>,
) -> Result<FundingImportReport, DataError> {
    let (series, format) = read_funding_file(file)?;
    if series.is_empty() {
        return Err(DataError::bad_file(file, "no funding events in file"));
    }
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let source = source
        .map(str::to_string)
        .unwrap_or_else(|| format!("file:{name}"));
    let merge = store.merge_funding(symbol, &series, on_conflict, &source, file)?;
    Ok(FundingImportReport {
        file: file.display().to_string(),
        format: format.to_string(),
        merge,
    })
}

/// Reads funding events from a file, choosing the reader by extension: Feather/Arrow IPC and
/// Parquet (a timestamp column named as for bars, the rate in `rate|funding_rate|fundingRate|open`),
/// or CSV (with such a header, or headerless `time,rate`). Returns the series (validated) and the
/// detected format.
pub fn read_funding_file(file: &Path) -> Result<(FundingSeries, &'static str), DataError> {
    if !file.is_file() {
        return Err(DataError::io(
            file,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (series, format) = match ext.as_str() {
        "feather" | "arrow" | "ipc" => {
            let (schema, batches) = read_ipc_batches(file)?;
            (
                batches_to_funding(&schema, &batches, file, TsMode::Import)?,
                "feather",
            )
        }
        "parquet" | "pq" => {
            let f = File::open(file).map_err(|e| DataError::io(file, e))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| {
                DataError::bad_file(file, format!("not a readable Parquet file: {e}"))
            })?;
            let schema = builder.schema().clone();
            let reader = builder
                .build()
                .map_err(|e| DataError::bad_file(file, e.to_string()))?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DataError::bad_file(file, e.to_string()))?;
            (
                batches_to_funding(&schema, &batches, file, TsMode::Import)?,
                "parquet",
            )
        }
        "csv" | "txt" => (read_funding_csv(file)?, "csv"),
        _ => {
            return Err(DataError::bad_file(
                file,
                format!("unknown file type '.{ext}' (expected .feather/.arrow, .parquet or .csv)"),
            ))
        }
    };
    series.validate(file)?;
    Ok((series, format))
}

fn read_ipc_batches(file: &Path) -> Result<(Arc<Schema>, Vec<RecordBatch>), DataError> {
    use arrow::ipc::reader::{FileReader, StreamReader};
    let f = File::open(file).map_err(|e| DataError::io(file, e))?;
    match FileReader::try_new(f, None) {
        Ok(reader) => {
            let schema = reader.schema();
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DataError::bad_file(file, format!("corrupt Arrow IPC batch: {e}")))?;
            Ok((schema, batches))
        }
        Err(file_err) => {
            let f = File::open(file).map_err(|e| DataError::io(file, e))?;
            let reader = StreamReader::try_new(BufReader::new(f), None).map_err(|_| {
                DataError::bad_file(
                    file,
                    format!("not an Arrow IPC/Feather v2 file: {file_err}"),
                )
            })?;
            let schema = reader.schema();
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DataError::bad_file(file, format!("corrupt Arrow IPC batch: {e}")))?;
            Ok((schema, batches))
        }
    }
}

fn find_col(schema: &Schema, names: &[&str]) -> Option<usize> {
    let lower: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().trim().to_ascii_lowercase())
        .collect();
    names.iter().find_map(|n| lower.iter().position(|l| l == n))
}

fn batches_to_funding(
    schema: &Schema,
    batches: &[RecordBatch],
    file: &Path,
    mode: TsMode,
) -> Result<FundingSeries, DataError> {
    let names = || {
        schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let ti = find_col(schema, TS_NAMES).ok_or_else(|| {
        DataError::bad_file(
            file,
            format!(
                "no timestamp column (looked for {}); columns are {}",
                TS_NAMES.join("|"),
                names()
            ),
        )
    })?;
    let ri = find_col(schema, RATE_NAMES).ok_or_else(|| {
        DataError::bad_file(
            file,
            format!(
                "no funding-rate column (looked for {}); columns are {}",
                RATE_NAMES.join("|"),
                names()
            ),
        )
    })?;
    let mut s = FundingSeries::default();
    let mut offset = 0usize;
    for b in batches {
        ts_column_to_ms(b.column(ti), file, offset, mode, &mut s.ts)?;
        let rate = cast(b.column(ri), &DataType::Float64)
            .map_err(|e| DataError::bad_file(file, format!("rate column: {e}")))?;
        let rate = rate
            .as_any()
            .downcast_ref::<Float64Array>()
            .ok_or_else(|| DataError::bad_file(file, "rate column is not numeric"))?;
        for k in 0..rate.len() {
            if rate.is_null(k) {
                return Err(DataError::BadRow {
                    file: file.to_path_buf(),
                    row: offset + k + 1,
                    line: None,
                    message: "field `rate`: missing value".into(),
                });
            }
            s.rate.push(rate.value(k));
        }
        offset += b.num_rows();
    }
    Ok(s)
}

fn ts_column_to_ms(
    col: &ArrayRef,
    file: &Path,
    offset: usize,
    mode: TsMode,
    out: &mut Vec<i64>,
) -> Result<(), DataError> {
    let row_err = |k: usize, message: String| DataError::BadRow {
        file: file.to_path_buf(),
        row: offset + k + 1,
        line: None,
        message,
    };
    match col.data_type() {
        DataType::Timestamp(_, _) | DataType::Date64 | DataType::Date32 => {
            let ms = cast(col, &DataType::Timestamp(TimeUnit::Millisecond, None))
                .map_err(|e| DataError::bad_file(file, format!("timestamp column: {e}")))?;
            let ms = cast(&ms, &DataType::Int64)
                .map_err(|e| DataError::bad_file(file, format!("timestamp column: {e}")))?;
            let a = ms
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataError::bad_file(file, "timestamp cast failed"))?;
            for k in 0..a.len() {
                if a.is_null(k) {
                    return Err(row_err(k, "field `ts`: missing timestamp".into()));
                }
                out.push(a.value(k));
            }
        }
        DataType::Utf8 | DataType::LargeUtf8 => {
            let get = |k: usize| -> Option<String> {
                if let Some(a) = col.as_any().downcast_ref::<StringArray>() {
                    (!a.is_null(k)).then(|| a.value(k).to_string())
                } else {
                    col.as_any()
                        .downcast_ref::<LargeStringArray>()
                        .and_then(|a| (!a.is_null(k)).then(|| a.value(k).to_string()))
                }
            };
            for k in 0..col.len() {
                let s = get(k).ok_or_else(|| row_err(k, "field `ts`: missing timestamp".into()))?;
                out.push(parse_funding_time(&s).map_err(|m| row_err(k, m))?);
            }
        }
        _ => {
            let a = cast(col, &DataType::Int64).map_err(|e| {
                DataError::bad_file(
                    file,
                    format!("timestamp column of type {}: {e}", col.data_type()),
                )
            })?;
            let a = a
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataError::bad_file(file, "timestamp cast failed"))?;
            for k in 0..a.len() {
                if a.is_null(k) {
                    return Err(row_err(k, "field `ts`: missing timestamp".into()));
                }
                // The store's own series hold int64 ms: read exactly. Foreign files: guess the unit.
                out.push(if mode == TsMode::Store {
                    a.value(k)
                } else {
                    epoch_to_ms(a.value(k))
                });
            }
        }
    }
    Ok(())
}

/// Any timestamp the bar importer accepts, plus QuantConnect Lean's `20201229 08:00:00`.
fn parse_funding_time(s: &str) -> Result<i64, String> {
    if let Ok(t) = parse_timestamp(s) {
        return Ok(t);
    }
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y%m%d %H:%M:%S")
        .map(|dt| dt.and_utc().timestamp_millis())
        .map_err(|_| format!("field `ts`: cannot parse '{s}' as a timestamp"))
}

fn read_funding_csv(file: &Path) -> Result<FundingSeries, DataError> {
    let f = File::open(file).map_err(|e| DataError::io(file, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(f));
    let mut s = FundingSeries::default();
    let mut cols: Option<(usize, usize)> = None;
    let mut row = 0usize;
    for (idx, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| {
            DataError::bad_file(file, format!("unreadable CSV after row {row}: {e}"))
        })?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        if idx == 0 {
            let lower: Vec<String> = rec
                .iter()
                .map(|x| x.trim_matches('"').to_ascii_lowercase())
                .collect();
            let ti = TS_NAMES
                .iter()
                .find_map(|n| lower.iter().position(|l| l == n));
            let ri = RATE_NAMES
                .iter()
                .find_map(|n| lower.iter().position(|l| l == n));
            if let (Some(ti), Some(ri)) = (ti, ri) {
                cols = Some((ti, ri));
                continue;
            }
            if ti.is_some() || ri.is_some() {
                return Err(DataError::bad_file(
                    file,
                    format!(
                        "header {lower:?} needs a timestamp column ({}) and a rate column ({})",
                        TS_NAMES.join("|"),
                        RATE_NAMES.join("|")
                    ),
                ));
            }
        }
        let (ti, ri) = *cols.get_or_insert((0, 1));
        row += 1;
        let line = rec.position().map(|p| p.line());
        let err = |message: String| DataError::BadRow {
            file: file.to_path_buf(),
            row,
            line,
            message,
        };
        let t = rec
            .get(ti)
            .filter(|x| !x.is_empty())
            .ok_or_else(|| err("field `ts`: missing value".into()))?;
        let r = rec
            .get(ri)
            .filter(|x| !x.is_empty())
            .ok_or_else(|| err("field `rate`: missing value".into()))?;
        s.ts.push(parse_funding_time(t).map_err(err)?);
        s.rate.push(
            r.parse::<f64>()
                .map_err(|_| err(format!("field `rate`: cannot parse '{r}' as a number")))?,
        );
    }
    Ok(s)
}

fn series_schema() -> Schema {
    let mut ts_meta = std::collections::HashMap::new();
    ts_meta.insert("unit".to_string(), "ms".to_string());
    ts_meta.insert("tz".to_string(), "UTC".to_string());
    ts_meta.insert("meaning".to_string(), "funding event time".to_string());
    let mut rate_meta = std::collections::HashMap::new();
    rate_meta.insert(
        "unit".to_string(),
        "fraction per funding interval".to_string(),
    );
    Schema::new(vec![
        Field::new("ts", DataType::Int64, false).with_metadata(ts_meta),
        Field::new("rate", DataType::Float64, false).with_metadata(rate_meta),
    ])
}

fn read_series_parquet(
    path: &Path,
) -> Result<(FundingSeries, BTreeMap<String, String>), DataError> {
    let (schema, batches, kv) = read_batches(path)?;
    Ok((
        batches_to_funding(&schema, &batches, path, TsMode::Store)?,
        kv,
    ))
}

fn write_series_atomic(
    path: &Path,
    s: &FundingSeries,
    kv: &BTreeMap<String, String>,
) -> Result<(), DataError> {
    let batch = RecordBatch::try_new(
        Arc::new(series_schema()),
        vec![
            Arc::new(Int64Array::from(s.ts.clone())) as ArrayRef,
            Arc::new(Float64Array::from(s.rate.clone())) as ArrayRef,
        ],
    )
    .map_err(|e| DataError::bad_file(path, e.to_string()))?;
    write_batch_atomic(path, &batch, kv)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H8: i64 = 8 * 3_600_000;
    const T0: i64 = 1_735_689_600_000; // 2025-01-01

    fn series(n: usize) -> FundingSeries {
        FundingSeries {
            ts: (0..n as i64).map(|i| T0 + i * H8).collect(),
            rate: (0..n).map(|i| 0.0001 * (i as f64 - 2.0)).collect(),
        }
    }

    #[test]
    fn validation_names_row_and_field() {
        let p = Path::new("x.csv");
        assert!(series(5).validate(p).is_ok());
        let mut s = series(5);
        s.rate[3] = f64::NAN;
        assert_eq!(
            s.validate(p).unwrap_err().to_string(),
            "x.csv: row 4: field `rate`: value NaN is not a finite number"
        );
        let mut s = series(5);
        s.ts[2] = s.ts[1];
        assert!(
            s.validate(p)
                .unwrap_err()
                .to_string()
                .contains("row 3: field `ts`")
                && s.validate(p).unwrap_err().to_string().contains("duplicate")
        );
        let mut s = series(5);
        s.rate[0] = 1.5;
        assert!(s
            .validate(p)
            .unwrap_err()
            .to_string()
            .contains("is not a funding rate"));
        let mut s = series(5);
        s.ts[0] = T0 / 1000;
        assert!(s
            .validate(p)
            .unwrap_err()
            .to_string()
            .contains("wrong epoch unit"));
    }

    #[test]
    fn lean_time_format() {
        assert_eq!(
            parse_funding_time("20201229 08:00:00").unwrap(),
            1_609_228_800_000
        );
        assert_eq!(
            parse_funding_time("2020-12-29T08:00:00Z").unwrap(),
            1_609_228_800_000
        );
        assert!(parse_funding_time("yesterday").is_err());
    }
}
