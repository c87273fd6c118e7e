//! Forecasts cached as Parquet per (symbol, interval, model, horizon):
//! `<store>/<SYMBOL_KEY>/<interval>/forecasts/<model>_h<H>.parquet`, columns `bar_ts`,
//! `issued_at` (int64 ms) and one f64 column per (target, quantile). The footer records the model,
//! quantiles, the code version that wrote it ([`code_version`]), a hash of the forecaster's full
//! parameters ([`Forecaster::params`]) and a fingerprint of the bars the rows were computed from.
//! Because row t depends on bars 0..=t only, a later run reuses the stored rows and computes only
//! rows for new bars. A file written by other code, with other parameters, or from bars that
//! have since changed (a replace import) is rebuilt, and the report says why.
use super::{column_name, ForecastFrame, Forecaster, TARGETS};
use crate::FeatureError;
use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tradelab_core::{Bars, Interval, Symbol};

pub const FORECASTS_DIR: &str = "forecasts";
const KV_FORMAT: &str = "tradelab.format";
const FORMAT: &str = "tradelab.forecasts/1";
const KV_MODEL: &str = "tradelab.forecast.model";
const KV_HORIZON: &str = "tradelab.forecast.horizon";
const KV_QUANTILES: &str = "tradelab.forecast.quantiles";
const KV_INTERVAL: &str = "tradelab.forecast.interval";
const KV_FINGERPRINT: &str = "tradelab.forecast.bars_fingerprint";
const KV_CODE: &str = "tradelab.forecast.code_version";
const KV_PARAMS_HASH: &str = "tradelab.forecast.params_hash";
const KV_PARAMS: &str = "tradelab.forecast.params";

/// Revision of the forecasters' arithmetic and of the cached rows' meaning. Bump it with any
/// change that alters a built-in forecaster's output for the same bars and parameters: every
/// cache file written before is then recomputed instead of reused.
pub const FORECAST_ALGO: u32 = 1;

/// The code version a cache file records: this crate's version and [`FORECAST_ALGO`].
pub fn code_version() -> String {
    format!(
        "tradelab-features {} forecasts/{FORECAST_ALGO}",
        env!("CARGO_PKG_VERSION")
    )
}

/// `fnv1a64:<hex>` of a forecaster's [`Forecaster::params`] text.
pub fn params_hash(params: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in params.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{h:016x}")
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheReport {
    pub path: String,
    pub horizon: u32,
    pub rows: usize,
    /// Rows reused from the file.
    pub reused_rows: usize,
    /// Rows computed in this call.
    pub computed_rows: usize,
    /// Why the file was (re)built from scratch, if it was.
    pub rebuilt: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ForecastCache {
    root: PathBuf,
}

impl ForecastCache {
    /// A cache inside a bar store's root.
    pub fn new(store_root: impl Into<PathBuf>) -> ForecastCache {
        ForecastCache {
            root: store_root.into(),
        }
    }

    pub fn path(&self, symbol: &Symbol, interval: Interval, model: &str, horizon: u32) -> PathBuf {
        let safe: String = model
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root
            .join(symbol.key())
            .join(interval.name())
            .join(FORECASTS_DIR)
            .join(format!("{safe}_h{horizon}.parquet"))
    }

    /// Forecasts for every bar of `bars` at every horizon: stored rows are reused, new bars
    /// computed, stale files rebuilt. Returns the merged frame and one report per horizon.
    pub fn load_or_build(
        &self,
        symbol: &Symbol,
        interval: Interval,
        bars: &Bars,
        forecaster: &dyn Forecaster,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<(ForecastFrame, Vec<CacheReport>), FeatureError> {
        let model = forecaster.name();
        let mut merged = ForecastFrame::empty(&model, &bars.ts, interval.ms(), horizons, quantiles);
        let mut reports = Vec::new();
        for &h in horizons {
            let path = self.path(symbol, interval, &model, h);
            let (frame, report) = self.one(&path, interval, bars, forecaster, h, quantiles)?;
            for (k, v) in frame.values {
                merged.values.insert(k, v);
            }
            reports.push(report);
        }
        Ok((merged, reports))
    }

    fn one(
        &self,
        path: &Path,
        interval: Interval,
        bars: &Bars,
        f: &dyn Forecaster,
        h: u32,
        quantiles: &[f64],
    ) -> Result<(ForecastFrame, CacheReport), FeatureError> {
        let model = f.name();
        let code = code_version();
        let params = f.params();
        let want_params = params_hash(&params);
        // One builder at a time per forecasts directory: two runs must not interleave their
        // read-reuse-write of a cache file (the later rename would drop the other's rows).
        let dir = path.parent().ok_or_else(|| {
            FeatureError::Forecast(format!("{} has no parent directory", path.display()))
        })?;
        let _lock = tradelab_data::lock::DirLock::acquire(dir)?;
        let stored = if path.is_file() {
            Some(read_frame(path)?)
        } else {
            None
        };
        let mut rebuilt = None;
        let mut base: Option<ForecastFrame> = None;
        match stored {
            None => rebuilt = Some("no cache file".to_string()),
            Some((frame, kv)) => {
                let k = frame.n_rows();
                let want_q = serde_json::to_string(quantiles).unwrap_or_default();
                if kv.get(KV_CODE) != Some(&code) {
                    rebuilt = Some(match kv.get(KV_CODE) {
                        Some(old) => format!("cache stale: code version changed ({old} -> {code})"),
                        None => "cache stale: written by older code (no code version recorded)"
                            .to_string(),
                    });
                } else if kv.get(KV_PARAMS_HASH) != Some(&want_params) {
                    let old = kv
                        .get(KV_PARAMS)
                        .map(String::as_str)
                        .unwrap_or("not recorded");
                    rebuilt = Some(format!("cache stale: params changed ({old} -> {params})"));
                } else if kv.get(KV_MODEL) != Some(&model)
                    || kv.get(KV_HORIZON) != Some(&h.to_string())
                    || kv.get(KV_QUANTILES) != Some(&want_q)
                    || kv.get(KV_INTERVAL).map(String::as_str) != Some(interval.name())
                {
                    rebuilt = Some("model, horizon, quantiles or interval differ".into());
                } else if k > bars.len() || frame.bar_ts[..] != bars.ts[..k] {
                    rebuilt = Some("stored rows are not a prefix of the current bars".into());
                } else if kv.get(KV_FINGERPRINT) != Some(&fingerprint(bars, k)) {
                    rebuilt = Some("bars the forecasts were computed from have changed".into());
                } else {
                    base = Some(frame);
                }
            }
        }
        let reused = base.as_ref().map_or(0, ForecastFrame::n_rows);
        let frame = match base {
            Some(b) if reused == bars.len() => b,
            Some(mut b) => {
                let tail = f.forecast_from(bars, interval, &[h], quantiles, reused)?;
                b.append(&tail)?;
                b
            }
            None => f.forecast(bars, interval, &[h], quantiles)?,
        };
        if frame.n_rows() != bars.len() {
            return Err(FeatureError::Forecast(format!(
                "{model} returned {} rows for {} bars",
                frame.n_rows(),
                bars.len()
            )));
        }
        let computed = bars.len() - reused;
        if computed > 0 || rebuilt.is_some() {
            write_frame(path, &frame, h, interval, bars, &params)?;
        }
        let report = CacheReport {
            path: path.display().to_string(),
            horizon: h,
            rows: frame.n_rows(),
            reused_rows: reused,
            computed_rows: computed,
            rebuilt,
        };
        Ok((frame, report))
    }
}

/// FNV-1a 64 over the first `k` bars (ts and OHLCV bits).
pub fn fingerprint(bars: &Bars, k: usize) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for i in 0..k.min(bars.len()) {
        eat(bars.ts[i] as u64);
        for v in [
            bars.open[i],
            bars.high[i],
            bars.low[i],
            bars.close[i],
            bars.volume[i],
        ] {
            eat(v.to_bits());
        }
    }
    format!("{h:016x}")
}

fn write_frame(
    path: &Path,
    frame: &ForecastFrame,
    h: u32,
    interval: Interval,
    bars: &Bars,
    params: &str,
) -> Result<(), FeatureError> {
    let mut fields = vec![
        Field::new("bar_ts", DataType::Int64, false),
        Field::new("issued_at", DataType::Int64, false),
    ];
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(frame.bar_ts.clone())),
        Arc::new(Int64Array::from(frame.issued_at.clone())),
    ];
    for t in TARGETS {
        for &q in &frame.quantiles {
            let name = column_name(t, q, h);
            let col = frame
                .values
                .get(&name)
                .ok_or_else(|| FeatureError::Forecast(format!("frame lacks {name}")))?;
            fields.push(Field::new(&name, DataType::Float64, false));
            arrays.push(Arc::new(Float64Array::from(col.clone())));
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
    let mut kv = BTreeMap::new();
    kv.insert(KV_FORMAT.to_string(), FORMAT.to_string());
    kv.insert(KV_MODEL.to_string(), frame.model.clone());
    kv.insert(KV_HORIZON.to_string(), h.to_string());
    kv.insert(
        KV_QUANTILES.to_string(),
        serde_json::to_string(&frame.quantiles).unwrap_or_default(),
    );
    kv.insert(KV_INTERVAL.to_string(), interval.name().to_string());
    kv.insert(
        KV_FINGERPRINT.to_string(),
        fingerprint(bars, frame.n_rows()),
    );
    kv.insert(KV_CODE.to_string(), code_version());
    kv.insert(KV_PARAMS_HASH.to_string(), params_hash(params));
    kv.insert(KV_PARAMS.to_string(), params.to_string());
    Ok(tradelab_data::parquet_io::write_batch_atomic(
        path, &batch, &kv,
    )?)
}

/// Reads a cache file back into a one-horizon frame plus its footer metadata.
pub fn read_frame(path: &Path) -> Result<(ForecastFrame, BTreeMap<String, String>), FeatureError> {
    let bad = |reason: String| FeatureError::Cache {
        path: path.display().to_string(),
        reason,
    };
    let (schema, batches, kv) = tradelab_data::parquet_io::read_batches(path)?;
    if kv.get(KV_FORMAT).map(String::as_str) != Some(FORMAT) {
        return Err(bad(format!("not a {FORMAT} file")));
    }
    let h: u32 = kv
        .get(KV_HORIZON)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("missing horizon".into()))?;
    let quantiles: Vec<f64> = kv
        .get(KV_QUANTILES)
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad("missing quantiles".into()))?;
    let mut ints: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut floats: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for b in &batches {
        for (i, field) in schema.fields().iter().enumerate() {
            let col = b.column(i);
            if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
                ints.entry(field.name().clone())
                    .or_default()
                    .extend(a.values().iter());
            } else if let Some(a) = col.as_any().downcast_ref::<Float64Array>() {
                if a.null_count() > 0 {
                    return Err(bad(format!("column {} has nulls", field.name())));
                }
                floats
                    .entry(field.name().clone())
                    .or_default()
                    .extend(a.values().iter());
            } else {
                return Err(bad(format!(
                    "column {} has unexpected type {}",
                    field.name(),
                    field.data_type()
                )));
            }
        }
    }
    let bar_ts = ints
        .remove("bar_ts")
        .ok_or_else(|| bad("missing bar_ts".into()))?;
    let issued_at = ints
        .remove("issued_at")
        .ok_or_else(|| bad("missing issued_at".into()))?;
    let mut values = BTreeMap::new();
    for t in TARGETS {
        for &q in &quantiles {
            let name = column_name(t, q, h);
            let v = floats
                .remove(&name)
                .ok_or_else(|| bad(format!("missing column {name}")))?;
            values.insert(name, v);
        }
    }
    let frame = ForecastFrame {
        model: kv.get(KV_MODEL).cloned().unwrap_or_default(),
        horizons: vec![h],
        quantiles,
        bar_ts,
        issued_at,
        values,
    };
    frame.check().map_err(|e| bad(e.to_string()))?;
    Ok((frame, kv))
}
