//! Parquet files: zstd-compressed, metadata in key-value pairs, written atomically. Every Parquet
//! file the project writes (bars, funding series, result tables) goes through these functions.
use crate::arrow_bars::{bars_to_batch, batches_to_bars};
use crate::DataError;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeMap;
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
    ParquetRecordBatchReaderBuilder::try_new(f).ok().map(|b| kv_of(&b))
}

/// A whole Parquet file: schema, record batches, key-value metadata.
pub type ParquetContents = (SchemaRef, Vec<RecordBatch>, BTreeMap<String, String>);

/// Reads every record batch, the schema and the key-value metadata.
pub fn read_batches(path: &Path) -> Result<ParquetContents, DataError> {
    let f = File::open(path).map_err(|e| DataError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f).map_err(|e| DataError::bad_file(path, format!("not a readable Parquet file: {e}")))?;
    let kv = kv_of(&builder);
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| DataError::bad_file(path, e.to_string()))?;
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| DataError::bad_file(path, e.to_string()))?;
    Ok((schema, batches, kv))
}

/// Reads bars and the file's key-value metadata.
pub fn read_parquet(path: &Path) -> Result<(Bars, BTreeMap<String, String>), DataError> {
    let (schema, batches, kv) = read_batches(path)?;
    Ok((batches_to_bars(&schema, &batches, path)?, kv))
}

/// Writes bars to `path` atomically (see [`write_batch_atomic`]).
pub fn write_parquet_atomic(path: &Path, bars: &Bars, kv: &BTreeMap<String, String>) -> Result<(), DataError> {
    let batch = bars_to_batch(bars).map_err(|e| DataError::bad_file(path, e.to_string()))?;
    write_batch_atomic(path, &batch, kv)
}

/// Writes one batch to `path` atomically: a temp file in the same directory is written, fsynced
/// and renamed over `path`, then the directory is fsynced, so readers see either the old file or
/// the new one, never a torn one. On failure the temp file is removed and `path` is untouched.
pub fn write_batch_atomic(path: &Path, batch: &RecordBatch, kv: &BTreeMap<String, String>) -> Result<(), DataError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    let tmp: PathBuf = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().and_then(|s| s.to_str()).unwrap_or("data"),
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    ));
    let result = write_to(&tmp, batch, kv).and_then(|_| std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_to(tmp: &Path, batch: &RecordBatch, kv: &BTreeMap<String, String>) -> Result<(), DataError> {
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_key_value_metadata(Some(kv.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect()))
        .build();
    let file = File::create(tmp).map_err(|e| DataError::io(tmp, e))?;
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    w.write(batch).map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    let mut file = w.into_inner().map_err(|e| DataError::bad_file(tmp, e.to_string()))?;
    file.flush().map_err(|e| DataError::io(tmp, e))?;
    file.sync_all().map_err(|e| DataError::io(tmp, e))?;
    Ok(())
}
