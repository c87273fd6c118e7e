//! Funding-rate series: merge (typed arrays), read, info, list, import a file, read a file.
use crate::convert::{guarded, js_err, json_task, on_conflict, symbol, to_json, JsonTask};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::{Path, PathBuf};
use tradelab_data::series::{import_funding_file, read_funding_file, FundingSeries};
use tradelab_data::Store;

/// A funding series as typed arrays: `ts` epoch ms (f64, exact below 2^53), `rate` fraction.
#[napi(object)]
pub struct FundingArrays {
    pub ts: Float64Array,
    pub rate: Float64Array,
}

#[napi(object)]
pub struct FundingArgs {
    pub store: String,
    pub symbol: String,
}

#[napi(object)]
pub struct FundingMergeArgs {
    pub store: String,
    pub symbol: String,
    /// `error` (default), `replace` or `keep`.
    pub on_conflict: Option<String>,
    /// Source label recorded with the events (e.g. `ccxt:binance`).
    pub source: String,
}

#[napi(object)]
pub struct FundingImportArgs {
    pub store: String,
    pub file: String,
    pub symbol: String,
    pub on_conflict: Option<String>,
    pub source: Option<String>,
}

/// Reads a series (from the store or from a file) and hands the columns to V8 without a copy.
pub struct FundingArraysTask {
    what: &'static str,
    job: Option<Box<dyn FnOnce() -> Result<FundingSeries> + Send>>,
}

#[napi]
impl Task for FundingArraysTask {
    type Output = FundingSeries;
    type JsValue = FundingArrays;

    fn compute(&mut self) -> Result<Self::Output> {
        let job = self.job.take().ok_or_else(|| js_err("task ran twice"))?;
        guarded(self.what, job)
    }

    fn resolve(&mut self, _env: Env, s: Self::Output) -> Result<Self::JsValue> {
        Ok(FundingArrays {
            ts: Float64Array::new(s.ts.into_iter().map(|t| t as f64).collect()),
            rate: Float64Array::new(s.rate),
        })
    }
}

fn arrays_task(
    what: &'static str,
    job: impl FnOnce() -> Result<FundingSeries> + Send + 'static,
) -> AsyncTask<FundingArraysTask> {
    AsyncTask::new(FundingArraysTask {
        what,
        job: Some(Box::new(job)),
    })
}

/// Merges funding events given as typed arrays into the store (validated first; atomic write).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn merge_funding(
    args: FundingMergeArgs,
    ts: Float64Array,
    rate: Float64Array,
) -> AsyncTask<JsonTask> {
    json_task("mergeFunding", move || {
        if ts.len() != rate.len() {
            return Err(js_err(format!(
                "mergeFunding: {} timestamps but {} rates",
                ts.len(),
                rate.len()
            )));
        }
        if let Some(t) = ts.iter().find(|t| !t.is_finite() || t.fract() != 0.0) {
            return Err(js_err(format!(
                "mergeFunding: timestamp {t} is not a whole number of milliseconds"
            )));
        }
        let s = FundingSeries {
            ts: ts.iter().map(|t| *t as i64).collect(),
            rate: rate.to_vec(),
        };
        let label = format!("<{}>", args.source);
        let report = Store::open(&args.store)
            .merge_funding(
                &symbol(&args.symbol)?,
                &s,
                on_conflict(args.on_conflict.as_deref())?,
                &args.source,
                Path::new(&label),
            )
            .map_err(js_err)?;
        to_json(&report)
    })
}

/// Reads a symbol's stored funding series as typed arrays.
#[napi]
pub fn read_funding(args: FundingArgs) -> AsyncTask<FundingArraysTask> {
    arrays_task("readFunding", move || {
        Store::open(&args.store)
            .read_funding(&symbol(&args.symbol)?)
            .map_err(js_err)
    })
}

/// Rows, first/last event, spacing and sources of a stored funding series.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn funding_info(args: FundingArgs) -> AsyncTask<JsonTask> {
    json_task("fundingInfo", move || {
        to_json(
            &Store::open(&args.store)
                .funding_info(&symbol(&args.symbol)?)
                .map_err(js_err)?,
        )
    })
}

/// Symbols with a stored funding series.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn list_funding(store: String) -> AsyncTask<JsonTask> {
    json_task("listFunding", move || {
        to_json(&Store::open(&store).list_funding().map_err(js_err)?)
    })
}

/// Imports a funding-rate file (freqtrade feather, Parquet, CSV) into the store.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn import_funding(args: FundingImportArgs) -> AsyncTask<JsonTask> {
    json_task("importFunding", move || {
        let report = import_funding_file(
            &Store::open(&args.store),
            &PathBuf::from(&args.file),
            &symbol(&args.symbol)?,
            on_conflict(args.on_conflict.as_deref())?,
            args.source.as_deref(),
        )
        .map_err(js_err)?;
        to_json(&report)
    })
}

/// Reads and validates a funding-rate file without storing it.
#[napi]
pub fn read_funding_file_arrays(file: String) -> AsyncTask<FundingArraysTask> {
    arrays_task("readFundingFile", move || {
        read_funding_file(Path::new(&file))
            .map(|(s, _)| s)
            .map_err(js_err)
    })
}
