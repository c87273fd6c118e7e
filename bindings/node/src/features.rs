//! Features and forecasts: build a feature table (Arrow IPC), build/refresh the forecast cache,
//! evaluate forecasts on a stated window. Conversion only: the use cases are
//! `tradelab_features::requests`.
use crate::convert::{guarded, interval, js_err, json_task, symbol, to_json, Json, JsonTask};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_features::requests::{self, features_table, Dataset, EvalRange};
use tradelab_features::FeatureSpec;

#[napi(object)]
pub struct FeaturesArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
    /// `FeatureSpec` as JSON (camelCase; missing fields take the standard hourly set).
    pub spec_json: Option<String>,
    /// Keep rows whose bar opens in [from, to) (epoch ms). Features are computed on all stored
    /// bars first, so a window never changes the values inside it.
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// Also write the table here as Parquet (atomic; schema in the footer).
    pub out: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct FeaturesOutput {
    #[napi(ts_type = "unknown")]
    pub summary: Json,
    pub table_ipc: Buffer,
}

fn dataset(store: &str, sym: &str, iv: &str) -> Result<Dataset> {
    Ok(Dataset {
        store: store.to_string(),
        symbol: symbol(sym)?,
        interval: interval(iv)?,
    })
}

/// JS numbers (epoch ms) to the integer bound they mean: a bar opening at `t` is inside
/// `[from, to)` exactly when `t >= ceil(from)` and `t < ceil(to)`.
fn ms(x: Option<f64>) -> Option<i64> {
    x.map(|v| v.ceil() as i64)
}

pub struct FeaturesTask {
    args: FeaturesArgs,
}

#[napi]
impl Task for FeaturesTask {
    type Output = (serde_json::Value, Vec<u8>);
    type JsValue = FeaturesOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("buildFeatures", || {
            let a = &self.args;
            let spec: FeatureSpec = match &a.spec_json {
                Some(s) => {
                    serde_json::from_str(s).map_err(|e| js_err(format!("feature spec: {e}")))?
                }
                None => FeatureSpec::default(),
            };
            let d = dataset(&a.store, &a.symbol, &a.interval)?;
            let (report, frame) = features_table(&d, &spec, ms(a.from), ms(a.to), a.out.as_deref())
                .map_err(js_err)?;
            Ok((to_json(&report)?, frame.to_ipc_stream().map_err(js_err)?))
        })
    }

    fn resolve(&mut self, _env: Env, (summary, ipc): Self::Output) -> Result<Self::JsValue> {
        Ok(FeaturesOutput {
            summary: Json(summary),
            table_ipc: Buffer::from(ipc),
        })
    }
}

/// Computes causal features for stored bars (off the event loop); the table comes as Arrow IPC.
#[napi]
pub fn build_features_table(args: FeaturesArgs) -> AsyncTask<FeaturesTask> {
    AsyncTask::new(FeaturesTask { args })
}

#[napi(object)]
pub struct ForecastArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
    /// `naive`, `naive:<transform>`, `seasonal-naive`, `ewma-vol`, or `auto` (eval only: naive
    /// with the transform of lowest validation MAE).
    pub model: String,
    pub horizons: Vec<u32>,
    pub quantiles: Option<Vec<f64>>,
    /// Evaluation window [from, to) in epoch ms; default the last `evalFraction` of the bars.
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub eval_fraction: Option<f64>,
}

fn quantiles(q: &Option<Vec<f64>>) -> Vec<f64> {
    q.clone()
        .unwrap_or_else(tradelab_features::spec::default_quantiles)
}

/// Builds or refreshes the forecast cache (reuses stored rows, computes new bars only).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn forecast_build(args: ForecastArgs) -> AsyncTask<JsonTask> {
    json_task("forecastBuild", move || {
        let d = dataset(&args.store, &args.symbol, &args.interval)?;
        to_json(
            &requests::forecast_build(&d, &args.model, &args.horizons, &quantiles(&args.quantiles))
                .map_err(js_err)?,
        )
    })
}

/// MAE% of the close median and quantile coverage per horizon on a stated window.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn forecast_eval(args: ForecastArgs) -> AsyncTask<JsonTask> {
    json_task("forecastEval", move || {
        let d = dataset(&args.store, &args.symbol, &args.interval)?;
        let range = if args.from.is_some() || args.to.is_some() {
            EvalRange::Times {
                from: ms(args.from),
                to: ms(args.to),
            }
        } else {
            EvalRange::LastFraction(args.eval_fraction.unwrap_or(0.2))
        };
        to_json(
            &requests::forecast_eval(
                &d,
                &args.model,
                &args.horizons,
                &quantiles(&args.quantiles),
                range,
            )
            .map_err(js_err)?,
        )
    })
}

/// Names of the built-in forecasters.
#[napi]
pub fn forecaster_names() -> Vec<String> {
    tradelab_features::forecast::builtin_names()
}
