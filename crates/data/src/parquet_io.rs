//! Parquet files: zstd-compressed, metadata in key-value pairs, written atomically. Every Parquet
//! file the project writes (bars, funding series, result tables) goes through these functions.
use crate::arrow_bars::{bars_to_batch, batches_to_bars, check_store_schema, TsMode};
use crate::DataError;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use tradelab_core::Bars;

/// Key-value metadata of a Parquet file's footer.
fn kv_of(builder: &ParquetRecordBatchReaderBuilder<File>) -> BTreeMap<String, String> {
    let mut kv = BTreeMap::new();
    if let Some(pairs) = builder.metadata().file_metadata().key_value_metadata() {
        for p in pairs {
            if let Some(v) = &p.value {
                kv.insert(p.key.clone(), v.clone());
            }
        }
    }
    kv
}

/// Reads only the key-value metadata (None when the file is missing or not Parquet).
pub fn read_kv(path: &Path) -> Option<BTreeMap<String, String>> {
    let f = File::open(path).ok()?;
    ParquetRecordBatchReaderBuilder::try_new(f)
        .ok()
        .map(|b| kv_of(&b))
}

/// A whole Parquet file: schema, record batches, key-value metadata.
pub type ParquetContents = (SchemaRef, Vec<RecordBatch>, BTreeMap<String, String>);

/// Reads every record batch, the schema and the key-value metadata.
pub fn read_batches(path: &Path) -> Result<ParquetContents, DataError> {
    let f = File::open(path).map_err(|e| DataError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| DataError::bad_file(path, format!("not a readable Parquet file: {e}")))?;
    let kv = kv_of(&builder);
    let schema = builder.schema().clone();
    let reader = builder
        .build()
        .map_err(|e| DataError::bad_file(path, e.to_string()))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DataError::bad_file(path, e.to_string()))?;
    Ok((schema, batches, kv))
}

/// Reads one of the store's own bar files and its key-value metadata. The schema must be the
/// store's (`ts` int64 epoch ms, f64 prices): values are taken as they are, no unit guessing.
pub fn read_parquet(path: &Path) -> Result<(Bars, BTreeMap<String, String>), DataError> {
    let (schema, batches, kv) = read_batches(path)?;
    check_store_schema(&schema, path)?;
    Ok((batches_to_bars(&schema, &batches, path, TsMode::Store)?, kv))
}

/// Writes bars to `path` atomically (see [`write_batch_atomic`]).
pub fn write_parquet_atomic(
    path: &Path,
    bars: &Bars,
    kv: &BTreeMap<String, String>,
) -> Result<(), DataError> {
    let batch = bars_to_batch(bars).map_err(|e| DataError::bad_file(path, e.to_string()))?;
    write_batch_atomic(path, &batch, kv)
}

/// Temp files being written right now by this process (removed by [`remove_in_flight_temps`]
/// when the process is interrupted).
static IN_FLIGHT: std::sync::Mutex<BTreeSet<PathBuf>> = std::sync::Mutex::new(BTreeSet::new());

fn in_flight() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    IN_FLIGHT.lock().unwrap_or_else(|p| p.into_inner())
}

/// Removes every temp file this process is writing; for SIGINT/SIGTERM handlers (the write then
/// fails, and the target file stays as it was). Returns how many were removed.
pub fn remove_in_flight_temps() -> usize {
    let mut set = in_flight();
    let n = set
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    set.clear();
    n
}

fn temp_prefix(path: &Path) -> String {
    format!(
        ".{}.tmp-",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("data")
    )
}

/// Whether a process id is alive; `None` where this cannot be told (no /proc).
fn pid_alive(pid: u32) -> Option<bool> {
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes temp files of `path` left by interrupted writes: their owner process is gone, or it is
/// this process and the file is not being written. Returns the files removed.
pub fn remove_stale_temps(path: &Path) -> Vec<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let prefix = temp_prefix(path);
    let me = std::process::id();
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return removed;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let p = e.path();
        let stale = if pid == me {
            !in_flight().contains(&p)
        } else {
            pid_alive(pid) == Some(false)
        };
        if stale && std::fs::remove_file(&p).is_ok() {
            removed.push(p);
        }
    }
    removed
}

/// Writes one batch to `path` atomically: a temp file in the same directory is written, fsynced
/// and renamed over `path`, then the directory is fsynced, so readers see either the old file or
/// the new one, never a torn one. On failure the temp file is removed and `path` is untouched.
/// Temp files of `path` left by interrupted writes of dead processes are removed first.
pub fn write_batch_atomic(
    path: &Path,
    batch: &RecordBatch,
    kv: &BTreeMap<String, String>,
) -> Result<(), DataError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    remove_stale_temps(path);
    let tmp: PathBuf = dir.join(format!(
        "{}{}-{}",
        temp_prefix(path),
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    in_flight().insert(tmp.clone());
    let result = write_to(&tmp, batch, kv)
        .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e)));
    in_flight().remove(&tmp);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_to(
    tmp: &Path,
    batch: &RecordBatch,
    kv: &BTreeMap<String, String>,
) -> Result<(), DataError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_key_value_metadata(Some(
            kv.iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                .collect(),
        ))
        .build();
    let file = File::create(tmp).map_err(|e| DataError::io(tmp, e))?;
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props))
        .map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    w.write(batch)
        .map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    let mut file = w
        .into_inner()
        .map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    file.flush().map_err(|e| DataError::io(tmp, e))?;
    file.sync_all().map_err(|e| DataError::io(tmp, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(ts: &[i64]) -> Bars {
        let mut b = Bars::with_capacity(ts.len());
        for &t in ts {
            b.ts.push(t);
            b.open.push(1.0);
            b.high.push(1.0);
            b.low.push(1.0);
            b.close.push(1.0);
            b.volume.push(1.0);
        }
        b
    }

    #[test]
    fn store_files_round_trip_every_supported_time() {
        // 1970-01-01, 1971 (ms < 1e11: was read back as seconds, i.e. year 2969), 1973-03-03 and
        // the last hour before 2100.
        let ts = [0, 31_536_000_000, 99_996_400_000, 4_102_441_200_000];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bars.parquet");
        write_parquet_atomic(&p, &bars(&ts), &BTreeMap::new()).unwrap();
        assert_eq!(read_parquet(&p).unwrap().0.ts, ts);
    }

    #[test]
    fn stale_temps_of_dead_processes_are_removed_at_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bars.parquet");
        // pid 4194304 is above Linux's pid_max: never alive.
        let dead = dir.path().join(".bars.parquet.tmp-4194304-1");
        let live = dir.path().join(".bars.parquet.tmp-1-2"); // pid 1 is alive
        let other = dir.path().join(".other.parquet.tmp-4194304-1");
        for f in [&dead, &live, &other] {
            std::fs::write(f, b"half").unwrap();
        }
        write_parquet_atomic(&p, &bars(&[0]), &BTreeMap::new()).unwrap();
        assert!(!dead.exists(), "stale temp of a dead process must go");
        assert!(
            live.exists() && other.exists(),
            "temps of live processes and other files stay"
        );
    }
}
