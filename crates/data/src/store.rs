//! The bar store: `<root>/<SYMBOL_KEY>/<interval>/bars.parquet`, one file per (symbol, interval).
//!
//! One file per set keeps every update a single atomic rename. Hourly data is small (8,760 rows
//! a year), so rewriting the file on merge costs milliseconds.
use crate::lock::DirLock;
use crate::parquet_io::{read_kv, read_parquet, write_parquet_atomic};
use crate::DataError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tradelab_core::{time::format_ms, validate_bars, Bars, GapReport, Interval, Symbol};

pub const BARS_FILE: &str = "bars.parquet";
pub const FORMAT: &str = "tradelab.bars/1";

const KV_FORMAT: &str = "tradelab.format";
const KV_SYMBOL: &str = "tradelab.symbol";
const KV_INTERVAL: &str = "tradelab.interval";
const KV_SOURCES: &str = "tradelab.sources";

/// What to do when an incoming bar has the same timestamp as a stored bar but different values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnConflict {
    /// Refuse the whole import (default: sources never change stored data silently).
    #[default]
    Error,
    /// Overwrite stored bars with the incoming ones.
    Replace,
    /// Keep stored bars, add only new timestamps.
    Keep,
}

impl std::str::FromStr for OnConflict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "error" => Ok(OnConflict::Error),
            "replace" => Ok(OnConflict::Replace),
            "keep" => Ok(OnConflict::Keep),
            _ => Err(format!(
                "unknown on-conflict policy '{s}' (expected error, replace or keep)"
            )),
        }
    }
}

/// One write into a dataset, kept in the file's metadata so the origin of bars is never lost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRecord {
    /// Where bars came from: `file:<name>`, `ccxt:binance`, ...
    pub source: String,
    pub rows_added: usize,
    pub rows_replaced: usize,
    pub first: i64,
    pub last: i64,
    /// Wall-clock time of the write (epoch ms).
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct DatasetKey {
    pub symbol: String,
    pub interval: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetInfo {
    pub symbol: String,
    pub interval: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub rows: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub first_iso: Option<String>,
    pub last_iso: Option<String>,
    pub has_trades: bool,
    pub has_vwap: bool,
    pub gaps: GapReport,
    pub sources: Vec<SourceRecord>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeReport {
    pub rows_in: usize,
    pub rows_added: usize,
    pub rows_unchanged: usize,
    pub rows_replaced: usize,
    pub rows_kept: usize,
    pub rows_total: usize,
    /// False when nothing changed and the file was left untouched.
    pub written: bool,
    pub info: DatasetInfo,
}

/// Result of checking one dataset in `Store::check`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckEntry {
    pub symbol: String,
    pub interval: String,
    pub path: PathBuf,
    pub ok: bool,
    pub error: Option<String>,
    pub rows: usize,
    pub gaps: Option<GapReport>,
}

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn open(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn dataset_dir(&self, symbol: &Symbol, interval: Interval) -> PathBuf {
        self.root.join(symbol.key()).join(interval.name())
    }

    pub fn bars_path(&self, symbol: &Symbol, interval: Interval) -> PathBuf {
        self.dataset_dir(symbol, interval).join(BARS_FILE)
    }

    /// `sha256:<hex>` over the stored bars of these datasets, in the order given: for each,
    /// its store-relative name (`<key>/<interval>/bars.parquet`), a NUL, its byte length, a NUL,
    /// then its bytes. The same store contents always give the same hash; any rewrite of a
    /// dataset changes it. The one data-hash rule: runs record it, TS only passes it on.
    pub fn data_hash(&self, datasets: &[(Symbol, Interval)]) -> Result<String, DataError> {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (symbol, interval) in datasets {
            let name = format!("{}/{}/{BARS_FILE}", symbol.key(), interval.name());
            let path = self.bars_path(symbol, *interval);
            let bytes = std::fs::read(&path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    DataError::NotFound {
                        store: self.root.clone(),
                        symbol: symbol.to_string(),
                        interval: interval.name().to_string(),
                    }
                } else {
                    DataError::io(&path, e)
                }
            })?;
            h.update(format!("{name}\0{}\0", bytes.len()).as_bytes());
            h.update(&bytes);
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("sha256:{hex}"))
    }

    pub fn exists(&self, symbol: &Symbol, interval: Interval) -> bool {
        self.bars_path(symbol, interval).is_file()
    }

    /// Reads a dataset's bars.
    pub fn read(&self, symbol: &Symbol, interval: Interval) -> Result<Bars, DataError> {
        Ok(self.read_with_meta(symbol, interval)?.0)
    }

    fn read_with_meta(
        &self,
        symbol: &Symbol,
        interval: Interval,
    ) -> Result<(Bars, BTreeMap<String, String>), DataError> {
        let path = self.bars_path(symbol, interval);
        if !path.is_file() {
            return Err(DataError::NotFound {
                store: self.root.clone(),
                symbol: symbol.to_string(),
                interval: interval.to_string(),
            });
        }
        read_parquet(&path)
    }

    pub fn info(&self, symbol: &Symbol, interval: Interval) -> Result<DatasetInfo, DataError> {
        let (bars, kv) = self.read_with_meta(symbol, interval)?;
        Ok(self.info_of(symbol, interval, &bars, &kv))
    }

    fn info_of(
        &self,
        symbol: &Symbol,
        interval: Interval,
        bars: &Bars,
        kv: &BTreeMap<String, String>,
    ) -> DatasetInfo {
        let path = self.bars_path(symbol, interval);
        let sources: Vec<SourceRecord> = kv
            .get(KV_SOURCES)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        DatasetInfo {
            symbol: kv
                .get(KV_SYMBOL)
                .cloned()
                .unwrap_or_else(|| symbol.to_string()),
            interval: interval.to_string(),
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            path,
            rows: bars.len(),
            first: bars.ts.first().copied(),
            last: bars.ts.last().copied(),
            first_iso: bars.ts.first().map(|t| format_ms(*t)),
            last_iso: bars.ts.last().map(|t| format_ms(*t)),
            has_trades: bars.trades.is_some(),
            has_vwap: bars.vwap.is_some(),
            gaps: GapReport::scan(&bars.ts, interval),
            sources,
        }
    }

    /// Lists datasets present in the store (directories holding a bars file).
    pub fn list(&self) -> Result<Vec<DatasetKey>, DataError> {
        let mut out = Vec::new();
        if !self.root.is_dir() {
            return Ok(out);
        }
        let rd = std::fs::read_dir(&self.root).map_err(|e| DataError::io(&self.root, e))?;
        for sym in rd.flatten() {
            let sym_path = sym.path();
            if !sym_path.is_dir() {
                continue;
            }
            let Ok(ivs) = std::fs::read_dir(&sym_path) else {
                continue;
            };
            for iv in ivs.flatten() {
                let file = iv.path().join(BARS_FILE);
                if !file.is_file() {
                    continue;
                }
                let interval = iv.file_name().to_string_lossy().to_string();
                // The stored symbol name (with '/') lives in the file metadata.
                let symbol = read_symbol_name(&file)
                    .unwrap_or_else(|| sym.file_name().to_string_lossy().to_string());
                out.push(DatasetKey { symbol, interval });
            }
        }
        out.sort();
        Ok(out)
    }

    /// Fails unless the store root is an existing directory (a typo in `--store` must not pass a
    /// check of "0 datasets").
    pub fn require_root(&self) -> Result<(), DataError> {
        match std::fs::metadata(&self.root) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(DataError::bad_file(
                &self.root,
                "store path is not a directory",
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(DataError::bad_file(
                &self.root,
                "store directory does not exist (check --store or TRADELAB_STORE)",
            )),
            Err(e) => Err(DataError::io(&self.root, e)),
        }
    }

    /// Re-validates every dataset (schema, then every bar); a bad dataset is reported, not fatal.
    /// A missing store root is an error.
    pub fn check(&self) -> Result<Vec<CheckEntry>, DataError> {
        self.require_root()?;
        let mut out = Vec::new();
        let rd = std::fs::read_dir(&self.root).map_err(|e| DataError::io(&self.root, e))?;
        let mut dirs: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for sym_path in dirs {
            let Ok(ivs) = std::fs::read_dir(&sym_path) else {
                continue;
            };
            let mut ivs: Vec<PathBuf> = ivs.flatten().map(|e| e.path()).collect();
            ivs.sort();
            for iv_path in ivs {
                let path = iv_path.join(BARS_FILE);
                if !path.is_file() {
                    continue;
                }
                let interval_name = iv_path
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                let symbol = read_symbol_name(&path).unwrap_or_else(|| {
                    sym_path
                        .file_name()
                        .map(|n| n.to_string_lossy().to_string())
                        .unwrap_or_default()
                });
                let entry = match (interval_name.parse::<Interval>(), read_parquet(&path)) {
                    (Ok(iv), Ok((bars, _))) => {
                        let err = validate_bars(&bars, iv)
                            .err()
                            .map(|v| format!("{}: row {}: {v}", path.display(), v.row + 1));
                        CheckEntry {
                            symbol,
                            interval: interval_name,
                            ok: err.is_none(),
                            error: err,
                            rows: bars.len(),
                            gaps: Some(GapReport::scan(&bars.ts, iv)),
                            path,
                        }
                    }
                    (Err(e), _) => CheckEntry {
                        symbol,
                        interval: interval_name,
                        ok: false,
                        error: Some(format!("{}: {e}", path.display())),
                        rows: 0,
                        gaps: None,
                        path,
                    },
                    (_, Err(e)) => CheckEntry {
                        symbol,
                        interval: interval_name,
                        ok: false,
                        error: Some(e.to_string()),
                        rows: 0,
                        gaps: None,
                        path,
                    },
                };
                out.push(entry);
            }
        }
        Ok(out)
    }

    /// Merges validated, sorted `incoming` bars into the dataset. Bars with new timestamps are
    /// added; identical bars are skipped (so re-importing changes nothing and leaves the file
    /// untouched); differing bars follow `on_conflict`. `file` names the origin in errors.
    pub fn merge(
        &self,
        symbol: &Symbol,
        interval: Interval,
        incoming: &Bars,
        on_conflict: OnConflict,
        source: &str,
        file: &Path,
    ) -> Result<MergeReport, DataError> {
        let sym_dir = self.root.join(symbol.key());
        refuse_symlinks(&[
            &sym_dir,
            &sym_dir.join(interval.name()),
            &self.bars_path(symbol, interval),
        ])?;
        if let Some(v) = validate_bars(incoming, interval).err() {
            return Err(DataError::BadRow {
                file: file.to_path_buf(),
                row: v.row + 1,
                line: None,
                message: v.to_string(),
            });
        }
        let path = self.bars_path(symbol, interval);
        // One writer at a time per dataset: without the lock two imports both read the old file,
        // and the second rename drops the first one's bars.
        let lock = DirLock::acquire(&self.dataset_dir(symbol, interval))?;
        let result =
            self.merge_locked(symbol, interval, incoming, on_conflict, source, file, &path);
        if result.is_err() {
            lock.release_and_prune();
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn merge_locked(
        &self,
        symbol: &Symbol,
        interval: Interval,
        incoming: &Bars,
        on_conflict: OnConflict,
        source: &str,
        file: &Path,
        path: &Path,
    ) -> Result<MergeReport, DataError> {
        let path = path.to_path_buf();
        let (existing, mut kv) = if path.is_file() {
            read_parquet(&path)?
        } else {
            (Bars::default(), BTreeMap::new())
        };
        if let Some(stored) = kv.get(KV_INTERVAL) {
            if stored != interval.name() {
                return Err(DataError::bad_file(
                    &path,
                    format!("stored interval is {stored}, not {interval}"),
                ));
            }
        }

        let (merged, counts) = merge_sorted(&existing, incoming);
        if counts.conflicts > 0 && on_conflict == OnConflict::Error {
            let (i, j) = counts.first_conflict.unwrap_or((0, 0));
            return Err(DataError::Conflict {
                file: file.to_path_buf(),
                symbol: symbol.to_string(),
                interval: interval.to_string(),
                count: counts.conflicts,
                first_ts: format_ms(incoming.ts[j]),
                detail: format!(
                    "stored o/h/l/c/v {}/{}/{}/{}/{}, incoming {}/{}/{}/{}/{}",
                    existing.open[i],
                    existing.high[i],
                    existing.low[i],
                    existing.close[i],
                    existing.volume[i],
                    incoming.open[j],
                    incoming.high[j],
                    incoming.low[j],
                    incoming.close[j],
                    incoming.volume[j]
                ),
            });
        }
        let merged = if counts.conflicts > 0 && on_conflict == OnConflict::Keep {
            merge_keep(&existing, incoming)
        } else {
            merged
        };
        let replaced = if on_conflict == OnConflict::Replace {
            counts.conflicts
        } else {
            0
        };
        let kept = if on_conflict == OnConflict::Keep {
            counts.conflicts
        } else {
            0
        };
        let changed = counts.added > 0 || replaced > 0;
        if changed {
            if let Some(v) = validate_bars(&merged, interval).err() {
                return Err(DataError::BadRow {
                    file: file.to_path_buf(),
                    row: v.row + 1,
                    line: None,
                    message: format!("merged set invalid: {v}"),
                });
            }
            let mut sources: Vec<SourceRecord> = kv
                .get(KV_SOURCES)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            sources.push(SourceRecord {
                source: source.to_string(),
                rows_added: counts.added,
                rows_replaced: replaced,
                first: incoming.ts.first().copied().unwrap_or(0),
                last: incoming.ts.last().copied().unwrap_or(0),
                at: chrono::Utc::now().timestamp_millis(),
            });
            kv.insert(KV_FORMAT.into(), FORMAT.into());
            kv.insert(KV_SYMBOL.into(), symbol.to_string());
            kv.insert(KV_INTERVAL.into(), interval.to_string());
            kv.insert(
                KV_SOURCES.into(),
                serde_json::to_string(&sources).unwrap_or_else(|_| "[]".into()),
            );
            write_parquet_atomic(&path, &merged, &kv)?;
        }
        let final_bars = if changed { merged } else { existing };
        let info = self.info_of(symbol, interval, &final_bars, &kv);
        Ok(MergeReport {
            rows_in: incoming.len(),
            rows_added: counts.added,
            rows_unchanged: counts.unchanged,
            rows_replaced: replaced,
            rows_kept: kept,
            rows_total: final_bars.len(),
            written: changed,
            info,
        })
    }
}

/// Refuses to write when any of `paths` (components inside the store) is a symlink: aliases such
/// as `trainingdatahourlybinance -> binance_spot_hourly` let one dataset overwrite another.
pub(crate) fn refuse_symlinks(paths: &[&Path]) -> Result<(), DataError> {
    for p in paths {
        if let Ok(m) = std::fs::symlink_metadata(p) {
            if m.file_type().is_symlink() {
                let target = std::fs::read_link(p).unwrap_or_default();
                return Err(DataError::Symlink {
                    link: p.to_path_buf(),
                    target,
                });
            }
        }
    }
    Ok(())
}

fn read_symbol_name(file: &Path) -> Option<String> {
    read_kv(file)?.get(KV_SYMBOL).cloned()
}

#[derive(Debug, Default)]
struct MergeCounts {
    added: usize,
    unchanged: usize,
    conflicts: usize,
    /// (index in existing, index in incoming)
    first_conflict: Option<(usize, usize)>,
}

/// Two-pointer merge of sorted sets; on equal timestamps the incoming bar wins.
fn merge_sorted(existing: &Bars, incoming: &Bars) -> (Bars, MergeCounts) {
    let mut out = Bars::with_capacity(existing.len() + incoming.len());
    let mut c = MergeCounts::default();
    let (mut i, mut j) = (0, 0);
    while i < existing.len() || j < incoming.len() {
        if j >= incoming.len() || (i < existing.len() && existing.ts[i] < incoming.ts[j]) {
            out.push_from(existing, i);
            i += 1;
        } else if i >= existing.len() || incoming.ts[j] < existing.ts[i] {
            out.push_from(incoming, j);
            c.added += 1;
            j += 1;
        } else {
            if existing.same_bar(i, incoming, j) {
                c.unchanged += 1;
            } else {
                c.conflicts += 1;
                c.first_conflict.get_or_insert((i, j));
            }
            out.push_from(incoming, j);
            i += 1;
            j += 1;
        }
    }
    (out, c)
}

/// Merge where stored bars win on equal timestamps.
fn merge_keep(existing: &Bars, incoming: &Bars) -> Bars {
    merge_sorted(incoming, existing).0
}
