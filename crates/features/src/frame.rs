//! `build_features`: bars -> a frame of named causal feature columns aligned with the bars.
use crate::forecast::ForecastFrame;
use crate::indicators as ind;
use crate::spec::{FeatureSchema, FeatureSpec};
use crate::window::run_starts;
use crate::FeatureError;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use tradelab_core::{Bars, Interval};

/// Parquet / Arrow metadata key holding the JSON `FeatureSchema` of a saved frame.
pub const KV_FEATURE_SCHEMA: &str = "tradelab.feature_schema";

/// Row t is aligned with bar t and uses bars 0..=t only. NaN = not valid (warm-up or gap).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureFrame {
    pub ts: Vec<i64>,
    pub names: Vec<String>,
    pub columns: Vec<Vec<f64>>,
    pub schema: FeatureSchema,
}

impl FeatureFrame {
    pub fn n_rows(&self) -> usize {
        self.ts.len()
    }

    pub fn n_features(&self) -> usize {
        self.names.len()
    }

    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.columns[i].as_slice())
    }

    /// True when every feature of row t is finite.
    pub fn row_valid(&self, t: usize) -> bool {
        t < self.n_rows() && self.columns.iter().all(|c| c[t].is_finite())
    }

    /// Index of the first row from which every later row is valid up to the next gap; None when no
    /// row is valid.
    pub fn first_valid_row(&self) -> Option<usize> {
        (0..self.n_rows()).find(|&t| self.row_valid(t))
    }

    /// `ts` (int64, bar open time) followed by one f64 column per feature; the schema JSON is
    /// stored in the Arrow schema metadata under [`KV_FEATURE_SCHEMA`].
    pub fn to_record_batch(&self) -> Result<RecordBatch, FeatureError> {
        let mut fields = vec![Field::new("ts", DataType::Int64, false)];
        let mut arrays: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(self.ts.clone()))];
        for (n, c) in self.names.iter().zip(&self.columns) {
            fields.push(Field::new(n, DataType::Float64, false));
            arrays.push(Arc::new(Float64Array::from(c.clone())));
        }
        let meta: HashMap<String, String> = self.metadata().into_iter().collect();
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields).with_metadata(meta)),
            arrays,
        )?)
    }

    pub fn metadata(&self) -> BTreeMap<String, String> {
        let mut kv = BTreeMap::new();
        kv.insert(
            KV_FEATURE_SCHEMA.to_string(),
            serde_json::to_string(&self.schema).unwrap_or_default(),
        );
        kv.insert(
            "tradelab.format".to_string(),
            "tradelab.features/1".to_string(),
        );
        kv
    }

    /// Arrow IPC stream bytes (for the Node binding / apache-arrow).
    pub fn to_ipc_stream(&self) -> Result<Vec<u8>, FeatureError> {
        let batch = self.to_record_batch()?;
        let mut buf = Vec::new();
        {
            let mut w = arrow::ipc::writer::StreamWriter::try_new(&mut buf, &batch.schema())?;
            w.write(&batch)?;
            w.finish()?;
        }
        Ok(buf)
    }

    /// Writes the frame as zstd Parquet atomically, schema in the key-value metadata.
    pub fn write_parquet(&self, path: &Path) -> Result<(), FeatureError> {
        let batch = self.to_record_batch()?;
        Ok(tradelab_data::parquet_io::write_batch_atomic(
            path,
            &batch,
            &self.metadata(),
        )?)
    }
}

/// The schema stored in a feature Parquet file written by [`FeatureFrame::write_parquet`]; compare
/// it with the expected one via [`FeatureSchema::ensure_same`] before using the file.
pub fn read_feature_schema(path: &Path) -> Result<FeatureSchema, FeatureError> {
    let kv = tradelab_data::parquet_io::read_kv(path).ok_or_else(|| {
        FeatureError::SchemaMismatch(format!(
            "{} is missing or not a Parquet file",
            path.display()
        ))
    })?;
    let raw = kv.get(KV_FEATURE_SCHEMA).ok_or_else(|| {
        FeatureError::SchemaMismatch(format!(
            "{} has no {KV_FEATURE_SCHEMA} metadata (not a tradelab feature table)",
            path.display()
        ))
    })?;
    let schema: FeatureSchema = serde_json::from_str(raw).map_err(|e| {
        FeatureError::SchemaMismatch(format!("{}: unreadable schema: {e}", path.display()))
    })?;
    if !schema.hash_is_consistent() {
        return Err(FeatureError::SchemaMismatch(format!(
            "{}: schema hash {} does not match its contents (edited by hand?)",
            path.display(),
            schema.hash
        )));
    }
    Ok(schema)
}

/// Computes `spec`'s features for `bars`. `forecasts` must be given exactly when
/// `spec.forecast` is set; its rows are joined on `bar_ts == ts[t]` (the forecast issued at the
/// close of bar t, i.e. the one available to a decision made after bar t).
pub fn build_features(
    bars: &Bars,
    interval: Interval,
    spec: &FeatureSpec,
    forecasts: Option<&ForecastFrame>,
) -> Result<FeatureFrame, FeatureError> {
    spec.validate()?;
    bars.check_lengths()
        .map_err(|e| FeatureError::InvalidBars(e.to_string()))?;
    check_bars(bars)?;
    let n = bars.len();
    let rs = run_starts(&bars.ts, interval.ms());
    let (c, h, l) = (&bars.close, &bars.high, &bars.low);
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let ret1 = ind::returns(c, &rs, 1);
    for &k in &spec.return_windows {
        cols.push(if k == 1 {
            ret1.clone()
        } else {
            ind::returns(c, &rs, k as usize)
        });
    }
    cols.push(ind::log_return_1(c, &rs));
    let smas: Vec<Vec<f64>> = spec
        .ma_windows
        .iter()
        .map(|&w| ind::sma(c, &rs, w as usize))
        .collect();
    for m in &smas {
        cols.push((0..n).map(|t| c[t] / m[t] - 1.0).collect());
    }
    for p in smas.windows(2) {
        cols.push((0..n).map(|t| p[0][t] / p[1][t] - 1.0).collect());
    }
    for &w in &spec.vol_windows {
        cols.push(ind::volatility(&ret1, &rs, w as usize));
    }
    cols.push(ind::range_pct(h, l, c));
    if spec.volume_z > 0 {
        cols.push(ind::volume_z(&bars.volume, &rs, spec.volume_z as usize));
    }
    if spec.rsi > 0 {
        cols.push(ind::rsi(c, &rs, spec.rsi as usize));
    }
    if spec.atr > 0 {
        cols.push(ind::atr_pct(h, l, c, &rs, spec.atr as usize));
    }
    if spec.adx > 0 {
        cols.push(ind::adx(h, l, c, &rs, spec.adx as usize));
    }
    for &s in &spec.ema_spans {
        cols.push(ind::ema_delta(c, &rs, s as usize));
    }
    if spec.calendar {
        cols.extend(ind::calendar(&bars.ts));
    }
    match (&spec.forecast, forecasts) {
        (Some(fs), Some(f)) => cols.extend(forecast_columns(bars, fs, f)?),
        (Some(fs), None) => {
            return Err(FeatureError::spec(
                "forecast",
                format!("asks for `{}` forecasts but none were given", fs.model),
            ))
        }
        (None, Some(_)) => {
            return Err(FeatureError::spec(
                "forecast",
                "is not set but a forecast frame was given",
            ))
        }
        (None, None) => {}
    }
    let schema = spec.schema();
    debug_assert_eq!(schema.names.len(), cols.len());
    Ok(FeatureFrame {
        ts: bars.ts.clone(),
        names: schema.names.clone(),
        columns: cols,
        schema,
    })
}

fn check_bars(bars: &Bars) -> Result<(), FeatureError> {
    if let Some(i) = (1..bars.len()).find(|&i| bars.ts[i] <= bars.ts[i - 1]) {
        return Err(FeatureError::InvalidBars(format!(
            "row {i}: ts {} is not after the previous bar's {}",
            bars.ts[i],
            bars.ts[i - 1]
        )));
    }
    if let Some(i) = (0..bars.len()).find(|&i| !(bars.close[i] > 0.0 && bars.close[i].is_finite()))
    {
        return Err(FeatureError::InvalidBars(format!(
            "row {i}: close {} is not a positive finite price",
            bars.close[i]
        )));
    }
    Ok(())
}

fn forecast_columns(
    bars: &Bars,
    fs: &crate::spec::ForecastFeatureSpec,
    f: &ForecastFrame,
) -> Result<Vec<Vec<f64>>, FeatureError> {
    if f.model != fs.model {
        return Err(FeatureError::spec(
            "forecast.model",
            format!(
                "is `{}` but the forecasts given are from `{}`",
                fs.model, f.model
            ),
        ));
    }
    f.check()?;
    // row of the forecast frame for each bar (None = no forecast issued after that bar)
    let mut j = 0usize;
    let idx: Vec<Option<usize>> = bars
        .ts
        .iter()
        .map(|t| {
            while j < f.bar_ts.len() && f.bar_ts[j] < *t {
                j += 1;
            }
            (j < f.bar_ts.len() && f.bar_ts[j] == *t).then_some(j)
        })
        .collect();
    let lo_q = fs.quantiles.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi_q = fs
        .quantiles
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let col = |target: &str, q: f64, h: u32| -> Result<&[f64], FeatureError> {
        f.get(target, q, h).ok_or_else(|| {
            FeatureError::spec(
                "forecast",
                format!(
                    "forecasts from `{}` lack column {}",
                    f.model,
                    crate::forecast::column_name(target, q, h)
                ),
            )
        })
    };
    let c = &bars.close;
    let pick = |src: &[f64], t: usize| idx[t].map_or(f64::NAN, |i| src[i]);
    let mut out = Vec::new();
    for &h in &fs.horizons {
        for target in ["close", "high", "low"] {
            let src = col(target, 0.5, h)?;
            out.push((0..c.len()).map(|t| pick(src, t) / c[t] - 1.0).collect());
        }
        if fs.quantiles.len() >= 2 {
            let (lo, hi) = (col("close", lo_q, h)?, col("close", hi_q, h)?);
            out.push(
                (0..c.len())
                    .map(|t| (pick(hi, t) - pick(lo, t)) / c[t])
                    .collect(),
            );
        }
    }
    Ok(out)
}
