//! Arrow IPC (Feather v2, as written by freqtrade with compressed buffers) and foreign Parquet files.
use crate::arrow_bars::{batches_to_bars, TsMode};
use crate::{DataError, Progress};
use arrow::ipc::reader::{FileReader, StreamReader};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use tradelab_core::Bars;

pub fn read_feather(file: &Path, progress: &Progress) -> Result<Bars, DataError> {
    let f = File::open(file).map_err(|e| DataError::io(file, e))?;
    let (schema, batches) = match FileReader::try_new(f, None) {
        Ok(reader) => {
            let schema = reader.schema();
            progress.set_total(reader.num_batches() as u64);
            let mut batches = Vec::new();
            for b in reader {
                batches.push(b.map_err(|e| {
                    DataError::bad_file(file, format!("corrupt Arrow IPC batch: {e}"))
                })?);
                progress.add(1);
            }
            (schema, batches)
        }
        Err(file_err) => {
            // Not the file format; maybe an IPC stream.
            let f = File::open(file).map_err(|e| DataError::io(file, e))?;
            let reader = StreamReader::try_new(BufReader::new(f), None).map_err(|_| {
                DataError::bad_file(
                    file,
                    format!("not an Arrow IPC/Feather v2 file: {file_err}"),
                )
            })?;
            let schema = reader.schema();
            let mut batches = Vec::new();
            for b in reader {
                batches.push(b.map_err(|e| {
                    DataError::bad_file(file, format!("corrupt Arrow IPC batch: {e}"))
                })?);
            }
            (schema, batches)
        }
    };
    batches_to_bars(&schema, &batches, file, TsMode::Import)
}

pub fn read_parquet_file(file: &Path, progress: &Progress) -> Result<Bars, DataError> {
    let f = File::open(file).map_err(|e| DataError::io(file, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| DataError::bad_file(file, format!("not a readable Parquet file: {e}")))?;
    progress.set_total(builder.metadata().num_row_groups() as u64);
    let schema = builder.schema().clone();
    let reader = builder
        .build()
        .map_err(|e| DataError::bad_file(file, e.to_string()))?;
    let mut batches = Vec::new();
    for b in reader {
        batches.push(b.map_err(|e| DataError::bad_file(file, e.to_string()))?);
    }
    progress.finish();
    batches_to_bars(&schema, &batches, file, TsMode::Import)
}
