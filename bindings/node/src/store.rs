//! Bar store functions: import, merge, read (Arrow IPC or typed arrays), info, list, check.
use crate::convert::{
    guarded, interval, js_err, json_task, on_conflict, symbol, to_json, Json, JsonTask,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::Arc;
use tradelab_core::Bars;
use tradelab_data::{import_file, ImportOptions, Progress, Store};

/// A progress counter the caller polls while an async call runs (`done` of `total` units).
#[napi]
pub struct ProgressHandle {
    inner: Arc<Progress>,
}

#[napi]
impl ProgressHandle {
    #[napi(constructor)]
    pub fn new() -> Self {
        ProgressHandle {
            inner: Arc::new(Progress::new()),
        }
    }
    #[napi(getter)]
    pub fn done(&self) -> f64 {
        self.inner.done() as f64
    }
    #[napi(getter)]
    pub fn total(&self) -> f64 {
        self.inner.total() as f64
    }
}

impl ProgressHandle {
    pub(crate) fn inner(&self) -> Arc<Progress> {
        self.inner.clone()
    }
}

impl Default for ProgressHandle {
    fn default() -> Self {
        Self::new()
    }
}

fn progress_of(p: Option<&ProgressHandle>) -> Arc<Progress> {
    p.map(|h| h.inner.clone()).unwrap_or_default()
}

#[napi(object)]
pub struct ImportArgs {
    pub store: String,
    pub file: String,
    pub symbol: String,
    pub interval: String,
    /// `error` (default), `replace` or `keep`.
    pub on_conflict: Option<String>,
    pub source: Option<String>,
}

pub struct ImportTask {
    args: ImportArgs,
    progress: Arc<Progress>,
}

#[napi]
impl Task for ImportTask {
    type Output = serde_json::Value;
    type JsValue = Json;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("importBars", || {
            let a = &self.args;
            let opts = ImportOptions {
                symbol: symbol(&a.symbol)?,
                interval: interval(&a.interval)?,
                on_conflict: on_conflict(a.on_conflict.as_deref())?,
                source: a.source.clone(),
            };
            let report = import_file(
                &Store::open(&a.store),
                &PathBuf::from(&a.file),
                &opts,
                &self.progress,
            )
            .map_err(js_err)?;
            to_json(&report)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Json(output))
    }
}

/// Imports a CSV / Feather / Parquet file of bars into the store (validated, merged, atomic).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn import_bars(args: ImportArgs, progress: Option<&ProgressHandle>) -> AsyncTask<ImportTask> {
    AsyncTask::new(ImportTask {
        args,
        progress: progress_of(progress),
    })
}

/// Columns of bars as typed arrays. `ts` is epoch ms as f64 (exact below 2^53).
#[napi(object)]
pub struct BarArrays {
    pub ts: Float64Array,
    pub open: Float64Array,
    pub high: Float64Array,
    pub low: Float64Array,
    pub close: Float64Array,
    pub volume: Float64Array,
    pub trades: Option<Float64Array>,
    pub vwap: Option<Float64Array>,
}

#[napi(object)]
pub struct DatasetArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
}

fn read_bars(a: &DatasetArgs) -> Result<Bars> {
    Store::open(&a.store)
        .read(&symbol(&a.symbol)?, interval(&a.interval)?)
        .map_err(js_err)
}

pub struct ReadArraysTask {
    args: DatasetArgs,
}

#[napi]
impl Task for ReadArraysTask {
    type Output = Bars;
    type JsValue = BarArrays;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("readBarArrays", || read_bars(&self.args))
    }

    fn resolve(&mut self, _env: Env, b: Self::Output) -> Result<Self::JsValue> {
        // Each Vec is handed to V8 as the typed array's backing store: no copy.
        Ok(BarArrays {
            ts: Float64Array::new(b.ts.into_iter().map(|t| t as f64).collect()),
            open: Float64Array::new(b.open),
            high: Float64Array::new(b.high),
            low: Float64Array::new(b.low),
            close: Float64Array::new(b.close),
            volume: Float64Array::new(b.volume),
            trades: b
                .trades
                .map(|t| Float64Array::new(t.into_iter().map(|x| x as f64).collect())),
            vwap: b.vwap.map(Float64Array::new),
        })
    }
}

/// Reads a dataset as typed arrays.
#[napi]
pub fn read_bar_arrays(args: DatasetArgs) -> AsyncTask<ReadArraysTask> {
    AsyncTask::new(ReadArraysTask { args })
}

pub struct ReadIpcTask {
    args: DatasetArgs,
}

#[napi]
impl Task for ReadIpcTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("readBarsIpc", || {
            let bars = read_bars(&self.args)?;
            tradelab_data::ipc::bars_to_ipc_stream(&bars).map_err(|e| js_err(format!("arrow: {e}")))
        })
    }

    fn resolve(&mut self, _env: Env, bytes: Self::Output) -> Result<Self::JsValue> {
        Ok(Buffer::from(bytes))
    }
}

/// Reads a dataset as an Arrow IPC stream (open it with apache-arrow `tableFromIPC`).
#[napi]
pub fn read_bars_ipc(args: DatasetArgs) -> AsyncTask<ReadIpcTask> {
    AsyncTask::new(ReadIpcTask { args })
}

/// Rows, first/last bar, gaps and sources of one dataset.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn dataset_info(args: DatasetArgs) -> AsyncTask<JsonTask> {
    json_task("datasetInfo", move || {
        let info = Store::open(&args.store)
            .info(&symbol(&args.symbol)?, interval(&args.interval)?)
            .map_err(js_err)?;
        to_json(&info)
    })
}

/// Datasets present in a store.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn list_datasets(store: String) -> AsyncTask<JsonTask> {
    json_task("listDatasets", move || {
        to_json(&Store::open(&store).list().map_err(js_err)?)
    })
}

/// Re-validates every dataset of a store.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn check_store(store: String) -> AsyncTask<JsonTask> {
    json_task("checkStore", move || {
        to_json(&Store::open(&store).check().map_err(js_err)?)
    })
}

#[napi(object)]
pub struct MergeArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
    pub on_conflict: Option<String>,
    /// Source label recorded with the bars (e.g. `ccxt:binance`).
    pub source: String,
}

/// Merges bars given as typed arrays (validated first; atomic write).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn merge_bars(args: MergeArgs, bars: BarArrays) -> AsyncTask<JsonTask> {
    // Typed arrays are owned handles (Send); they are read on the worker thread. Callers must not
    // mutate them while the call runs.
    let BarArrays {
        ts,
        open,
        high,
        low,
        close,
        volume,
        trades,
        vwap,
    } = bars;
    json_task("mergeBars", move || {
        let b = Bars {
            ts: ts.iter().map(|t| *t as i64).collect(),
            open: open.to_vec(),
            high: high.to_vec(),
            low: low.to_vec(),
            close: close.to_vec(),
            volume: volume.to_vec(),
            trades: trades.map(|t| t.iter().map(|x| *x as i64).collect()),
            vwap: vwap.map(|v| v.to_vec()),
        };
        b.check_lengths().map_err(js_err)?;
        let label = format!("<{}>", args.source);
        let report = Store::open(&args.store)
            .merge(
                &symbol(&args.symbol)?,
                interval(&args.interval)?,
                &b,
                on_conflict(args.on_conflict.as_deref())?,
                &args.source,
                std::path::Path::new(&label),
            )
            .map_err(js_err)?;
        to_json(&report)
    })
}

/// Deliberately panics on a worker thread; used by tests to prove panics become JS Errors.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn debug_panic() -> AsyncTask<JsonTask> {
    json_task("debugPanic", || panic!("deliberate test panic"))
}

#[napi(object)]
pub struct CheckFileArgs {
    pub file: String,
    pub symbol: String,
    pub interval: String,
}

/// Parses and validates a bar file without writing anything; resolves to `{ rows, first, last }`.
/// Multi-file imports check every file with this before importing any.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn check_import_file(args: CheckFileArgs) -> AsyncTask<JsonTask> {
    json_task("checkImportFile", move || {
        symbol(&args.symbol)?;
        let parsed = tradelab_data::import::check_file(
            &PathBuf::from(&args.file),
            interval(&args.interval)?,
            &Progress::new(),
        )
        .map_err(js_err)?;
        Ok(
            serde_json::json!({ "rows": parsed.bars.len(), "first": parsed.bars.ts.first(), "last": parsed.bars.ts.last() }),
        )
    })
}

/// Removes the temp files of writes in flight in this process (for SIGINT/SIGTERM handlers: the
/// interrupted write then leaves nothing behind). Returns how many were removed.
#[napi]
pub fn remove_in_flight_temps() -> u32 {
    tradelab_data::parquet_io::remove_in_flight_temps() as u32
}

#[napi(object)]
pub struct DatasetKeyArgs {
    pub symbol: String,
    pub interval: String,
}

/// `sha256:…` over these datasets' stored bars (`Store::data_hash`, the one rule). Synchronous:
/// it reads the files once, milliseconds for the sample store.
#[napi]
pub fn store_data_hash(store: String, datasets: Vec<DatasetKeyArgs>) -> Result<String> {
    guarded("storeDataHash", || {
        let sets = datasets
            .iter()
            .map(|d| Ok((symbol(&d.symbol)?, interval(&d.interval)?)))
            .collect::<Result<Vec<_>>>()?;
        Store::open(&store).data_hash(&sets).map_err(js_err)
    })
}
