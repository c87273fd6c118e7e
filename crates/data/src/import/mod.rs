//! Importers: a file on disk → validated [`Bars`] → merged into the store.
mod arrow_file;
mod csv_file;

pub use arrow_file::{read_feather, read_parquet_file};
pub use csv_file::{read_csv, CsvLayout};

use crate::store::{MergeReport, OnConflict, Store};
use crate::{DataError, Progress};
use serde::Serialize;
use std::path::Path;
use tradelab_core::{validate_bars, Bars, Interval, Symbol};

/// Bars parsed from a file, with the 1-based line number of each row when the format has lines.
pub struct Parsed {
    pub bars: Bars,
    pub lines: Option<Vec<u64>>,
    pub format: &'static str,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub symbol: Symbol,
    pub interval: Interval,
    pub on_conflict: OnConflict,
    /// Source label recorded in the dataset; defaults to `file:<file name>`.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub file: String,
    pub format: String,
    #[serde(flatten)]
    pub merge: MergeReport,
}

/// Parses a bar file, choosing the reader by extension and content.
pub fn parse_file(
    file: &Path,
    interval: Interval,
    progress: &Progress,
) -> Result<Parsed, DataError> {
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
    match ext.as_str() {
        "feather" | "arrow" | "ipc" => Ok(Parsed {
            bars: read_feather(file, progress)?,
            lines: None,
            format: "feather",
        }),
        "parquet" | "pq" => Ok(Parsed {
            bars: read_parquet_file(file, progress)?,
            lines: None,
            format: "parquet",
        }),
        "csv" | "txt" | "tsv" => {
            let (bars, lines, layout) = read_csv(file, interval, progress)?;
            Ok(Parsed {
                bars,
                lines: Some(lines),
                format: layout.name(),
            })
        }
        "zip" | "gz" => Err(DataError::bad_file(
            file,
            "compressed archives are not read here yet: unzip the Binance Vision CSV first",
        )),
        _ => Err(DataError::bad_file(
            file,
            format!("unknown file type '.{ext}' (expected .csv, .feather/.arrow or .parquet)"),
        )),
    }
}

/// Refuses a file whose bars are never closer than one interval apart (a 1h file imported as
/// `--interval 5m` would be stored as a 5m set that is 92 % gaps). Needs at least 3 bars.
pub fn check_spacing(bars: &Bars, interval: Interval, file: &Path) -> Result<(), DataError> {
    if bars.len() < 3 {
        return Ok(());
    }
    let Some(min) = bars.ts.windows(2).map(|w| w[1] - w[0]).min() else {
        return Ok(());
    };
    if min > interval.ms() {
        let spacing = Interval::from_ms(min)
            .map(|i| i.name().to_string())
            .unwrap_or_else(|| format!("{} min", min / 60_000));
        let hint = Interval::from_ms(min)
            .map(|i| format!("; pass --interval {i}"))
            .unwrap_or_default();
        return Err(DataError::bad_file(
            file,
            format!("bar spacing contradicts --interval {interval}: no two bars are closer than {spacing} ({min} ms), so this is not a {interval} file{hint}"),
        ));
    }
    Ok(())
}

/// Parses and validates a file without writing anything (multi-file imports check every file
/// first).
pub fn check_file(
    file: &Path,
    interval: Interval,
    progress: &Progress,
) -> Result<Parsed, DataError> {
    let parsed = parse_file(file, interval, progress)?;
    if let Err(v) = validate_bars(&parsed.bars, interval) {
        let line = parsed.lines.as_ref().and_then(|l| l.get(v.row).copied());
        return Err(DataError::BadRow {
            file: file.to_path_buf(),
            row: v.row + 1,
            line,
            message: v.to_string(),
        });
    }
    if parsed.bars.is_empty() {
        return Err(DataError::bad_file(file, "no bars in file"));
    }
    check_spacing(&parsed.bars, interval, file)?;
    Ok(parsed)
}

/// Imports one file into the store. Validation runs on the rows in file order before anything is
/// written; on any error the stored dataset is left byte-for-byte unchanged.
pub fn import_file(
    store: &Store,
    file: &Path,
    opts: &ImportOptions,
    progress: &Progress,
) -> Result<ImportReport, DataError> {
    let parsed = parse_file(file, opts.interval, progress)?;
    if let Err(v) = validate_bars(&parsed.bars, opts.interval) {
        let line = parsed.lines.as_ref().and_then(|l| l.get(v.row).copied());
        return Err(DataError::BadRow {
            file: file.to_path_buf(),
            row: v.row + 1,
            line,
            message: v.to_string(),
        });
    }
    if parsed.bars.is_empty() {
        return Err(DataError::bad_file(file, "no bars in file"));
    }
    check_spacing(&parsed.bars, opts.interval, file)?;
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let source = opts
        .source
        .clone()
        .unwrap_or_else(|| format!("file:{name}"));
    let merge = store.merge(
        &opts.symbol,
        opts.interval,
        &parsed.bars,
        opts.on_conflict,
        &source,
        file,
    )?;
    progress.finish();
    Ok(ImportReport {
        file: file.display().to_string(),
        format: parsed.format.to_string(),
        merge,
    })
}
