//! Small column tables for results (sweep rows, metrics) written as Parquet or Arrow IPC.
//!
//! Results come from other crates as serde-serialisable rows; `Table::from_json_rows` turns them
//! into typed columns so no result type needs to know about Arrow.
use crate::parquet_io::write_batch_atomic;
use crate::DataError;
use arrow::array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::writer::StreamWriter;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<(String, Column)>,
    /// Stored as Parquet key-value / Arrow schema metadata (assumptions: lag, fill rule, fees ...).
    pub metadata: BTreeMap<String, String>,
}

impl Table {
    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| match c {
            Column::F64(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Str(v) => v.len(),
        })
    }

    /// Flattens JSON objects (nested objects become `a.b` columns) into typed columns. A column's
    /// type is taken from its first non-null value; nulls become NaN / false / "".
    pub fn from_json_rows(rows: &[Value]) -> Table {
        let mut flat: Vec<BTreeMap<String, Value>> = Vec::with_capacity(rows.len());
        let mut order: Vec<String> = Vec::new();
        for r in rows {
            let mut m = BTreeMap::new();
            flatten("", r, &mut m);
            for k in m.keys() {
                if !order.contains(k) {
                    order.push(k.clone());
                }
            }
            flat.push(m);
        }
        let mut columns = Vec::new();
        for name in order {
            let first = flat
                .iter()
                .filter_map(|m| m.get(&name))
                .find(|v| !v.is_null());
            let col = match first {
                Some(Value::Bool(_)) => Column::Bool(
                    flat.iter()
                        .map(|m| m.get(&name).and_then(Value::as_bool).unwrap_or(false))
                        .collect(),
                ),
                Some(Value::Number(_)) => Column::F64(
                    flat.iter()
                        .map(|m| m.get(&name).and_then(Value::as_f64).unwrap_or(f64::NAN))
                        .collect(),
                ),
                _ => Column::Str(
                    flat.iter()
                        .map(|m| match m.get(&name) {
                            Some(Value::String(s)) => s.clone(),
                            Some(Value::Null) | None => String::new(),
                            Some(v) => v.to_string(),
                        })
                        .collect(),
                ),
            };
            columns.push((name, col));
        }
        Table {
            columns,
            metadata: BTreeMap::new(),
        }
    }

    pub fn to_batch(&self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|(n, c)| {
                let t = match c {
                    Column::F64(_) => DataType::Float64,
                    Column::Bool(_) => DataType::Boolean,
                    Column::Str(_) => DataType::Utf8,
                };
                Field::new(n, t, false)
            })
            .collect();
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|(_, c)| -> ArrayRef {
                match c {
                    Column::F64(v) => Arc::new(Float64Array::from(v.clone())),
                    Column::Bool(v) => Arc::new(BooleanArray::from(v.clone())),
                    Column::Str(v) => Arc::new(StringArray::from(v.clone())),
                }
            })
            .collect();
        let schema = Schema::new(fields).with_metadata(
            self.metadata
                .clone()
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        );
        RecordBatch::try_new(Arc::new(schema), arrays)
    }

    pub fn to_ipc_stream(&self) -> Result<Vec<u8>, arrow::error::ArrowError> {
        let batch = self.to_batch()?;
        let mut buf = Vec::new();
        {
            let mut w = StreamWriter::try_new(&mut buf, &batch.schema())?;
            w.write(&batch)?;
            w.finish()?;
        }
        Ok(buf)
    }

    /// Reads a Parquet file's numeric columns (float and integer, as f64) and its key-value
    /// metadata. Other columns are skipped. Used for user files such as exported actions.
    pub fn read_parquet_numeric(path: &Path) -> Result<Table, DataError> {
        use arrow::array::{Array, AsArray};
        use arrow::compute::cast;
        let (schema, batches, kv) = crate::parquet_io::read_batches(path)?;
        let mut columns = Vec::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if !f.data_type().is_numeric() {
                continue;
            }
            let mut v = Vec::new();
            for b in &batches {
                let col = cast(b.column(i), &DataType::Float64).map_err(|e| {
                    DataError::bad_file(path, format!("column `{}`: {e}", f.name()))
                })?;
                let a = col.as_primitive::<arrow::datatypes::Float64Type>();
                v.extend((0..a.len()).map(|k| if a.is_null(k) { f64::NAN } else { a.value(k) }));
            }
            columns.push((f.name().clone(), Column::F64(v)));
        }
        Ok(Table {
            columns,
            metadata: kv,
        })
    }

    /// Writes the table as zstd Parquet, atomically (temp file + rename).
    pub fn write_parquet(&self, path: &Path) -> Result<(), DataError> {
        let batch = self
            .to_batch()
            .map_err(|e| DataError::bad_file(path, e.to_string()))?;
        write_batch_atomic(path, &batch, &self.metadata)
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_rows_become_typed_columns_and_round_trip_parquet() {
        let rows = vec![
            json!({"id": 1, "params": {"fast": 5, "rule": "touch"}, "ok": true}),
            json!({"id": 2, "params": {"fast": 8, "rule": "cross"}, "ok": false}),
        ];
        let mut t = Table::from_json_rows(&rows);
        t.metadata.insert("decision_lag".into(), "1".into());
        assert_eq!(t.num_rows(), 2);
        let names: Vec<&str> = t.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["id", "ok", "params.fast", "params.rule"]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.parquet");
        t.write_parquet(&p).unwrap();
        let f = std::fs::File::open(&p).unwrap();
        let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
        let kv = b
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .unwrap()
            .clone();
        assert!(kv.iter().any(|k| k.key == "decision_lag"));
        let batch = b.build().unwrap().next().unwrap().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert!(!t.to_ipc_stream().unwrap().is_empty());
    }
}
