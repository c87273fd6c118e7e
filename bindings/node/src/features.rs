//! Features and forecasts: build a feature table (Arrow IPC), build/refresh the forecast cache,
//! evaluate forecasts on a stated window. Logic lives in tradelab-features.
use crate::convert::{guarded, interval, js_err, json_task, symbol, to_json, Json, JsonTask};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_core::{Bars, Interval};
use tradelab_data::Store;
use tradelab_features::forecast::{evaluate, select_transform, EvalWindow};
use tradelab_features::{build_features, forecaster_by_name, ForecastCache, FeatureSpec, Forecaster, NaiveForecaster};

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
    pub summary: Json,
    pub table_ipc: Buffer,
}

fn read_bars(store: &str, sym: &str, iv: &str) -> Result<(Bars, Interval)> {
    let iv = interval(iv)?;
    let bars = Store::open(store).read(&symbol(sym)?, iv).map_err(js_err)?;
    if bars.is_empty() {
        return Err(js_err(format!("no {sym} {iv} bars in {store}")));
    }
    Ok((bars, iv))
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
            let (bars, iv) = read_bars(&a.store, &a.symbol, &a.interval)?;
            let spec: FeatureSpec = match &a.spec_json {
                Some(s) => serde_json::from_str(s).map_err(|e| js_err(format!("feature spec: {e}")))?,
                None => FeatureSpec::default(),
            };
            let mut cache_reports = serde_json::Value::Null;
            let forecasts = match &spec.forecast {
                Some(fs) => {
                    let f = forecaster_by_name(&fs.model).map_err(js_err)?;
                    let (frame, reports) =
                        ForecastCache::new(&a.store).load_or_build(&symbol(&a.symbol)?, iv, &bars, f.as_ref(), &fs.horizons, &fs.quantiles).map_err(js_err)?;
                    cache_reports = to_json(&reports)?;
                    Some(frame)
                }
                None => None,
            };
            let full = build_features(&bars, iv, &spec, forecasts.as_ref()).map_err(js_err)?;
            let lo = a.from.map_or(0, |f| bars.ts.partition_point(|t| (*t as f64) < f));
            let hi = a.to.map_or(bars.len(), |t| bars.ts.partition_point(|x| (*x as f64) < t)).max(lo);
            let frame = tradelab_features::FeatureFrame {
                ts: full.ts[lo..hi].to_vec(),
                names: full.names.clone(),
                columns: full.columns.iter().map(|c| c[lo..hi].to_vec()).collect(),
                schema: full.schema.clone(),
            };
            if let Some(out) = &a.out {
                frame.write_parquet(std::path::Path::new(out)).map_err(js_err)?;
            }
            let valid = (0..frame.n_rows()).filter(|&t| frame.row_valid(t)).count();
            let summary = serde_json::json!({
                "symbol": a.symbol,
                "interval": iv.name(),
                "schema": to_json(&frame.schema)?,
                "rows": frame.n_rows(),
                "validRows": valid,
                "first": frame.ts.first(),
                "last": frame.ts.last(),
                "forecastCache": cache_reports,
                "out": a.out,
            });
            Ok((summary, frame.to_ipc_stream().map_err(js_err)?))
        })
    }

    fn resolve(&mut self, _env: Env, (summary, ipc): Self::Output) -> Result<Self::JsValue> {
        Ok(FeaturesOutput { summary: Json(summary), table_ipc: Buffer::from(ipc) })
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
    q.clone().unwrap_or_else(tradelab_features::spec::default_quantiles)
}

/// Builds or refreshes the forecast cache (reuses stored rows, computes new bars only).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn forecast_build(args: ForecastArgs) -> AsyncTask<JsonTask> {
    json_task("forecastBuild", move || {
        let (bars, iv) = read_bars(&args.store, &args.symbol, &args.interval)?;
        let f = forecaster_by_name(&args.model).map_err(js_err)?;
        let started = std::time::Instant::now();
        let (_, reports) =
            ForecastCache::new(&args.store).load_or_build(&symbol(&args.symbol)?, iv, &bars, f.as_ref(), &args.horizons, &quantiles(&args.quantiles)).map_err(js_err)?;
        Ok(serde_json::json!({
            "symbol": args.symbol, "interval": iv.name(), "model": f.name(), "bars": bars.len(),
            "first": bars.ts.first(), "last": bars.ts.last(), "seconds": started.elapsed().as_secs_f64(),
            "files": to_json(&reports)?,
        }))
    })
}

/// MAE% of the close median and quantile coverage per horizon on a stated window.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn forecast_eval(args: ForecastArgs) -> AsyncTask<JsonTask> {
    json_task("forecastEval", move || {
        let (bars, iv) = read_bars(&args.store, &args.symbol, &args.interval)?;
        let q = quantiles(&args.quantiles);
        let window = if args.from.is_some() || args.to.is_some() {
            EvalWindow::from_times(&bars.ts, args.from.map(|f| f.ceil() as i64), args.to.map(|t| t.ceil() as i64))
        } else {
            EvalWindow::last_fraction(bars.len(), args.eval_fraction.unwrap_or(0.2))
        };
        if window.is_empty() {
            return Err(js_err("the evaluation window holds no bars"));
        }
        let mut choice = serde_json::Value::Null;
        let forecaster: Box<dyn Forecaster> = if args.model == "auto" {
            // Validation: the window of the same length right before the evaluated rows (targets
            // realised before the evaluation starts), never the evaluated rows themselves.
            let val = window.preceding(window.len().min(window.from_row)).ok_or_else(|| js_err("no bars before the evaluation window to select a transform on"))?;
            let c = select_transform(&bars, iv, &args.horizons, &q, val).map_err(js_err)?;
            let f = NaiveForecaster { transform: c.transform, ..Default::default() };
            choice = serde_json::json!({
                "transform": c.transform.name(),
                "validation": { "first": bars.ts[val.from_row], "last": bars.ts[val.to_row - 1], "rows": val.len() },
                "candidates": c.candidates.iter().map(|(t, m)| serde_json::json!({ "transform": t.name(), "maePct": m })).collect::<Vec<_>>(),
            });
            Box::new(f)
        } else {
            forecaster_by_name(&args.model).map_err(js_err)?
        };
        let (frame, reports) =
            ForecastCache::new(&args.store).load_or_build(&symbol(&args.symbol)?, iv, &bars, forecaster.as_ref(), &args.horizons, &q).map_err(js_err)?;
        let rows = evaluate(&bars, iv, &frame, window).map_err(js_err)?;
        Ok(serde_json::json!({
            "symbol": args.symbol, "interval": iv.name(), "model": forecaster.name(),
            "window": { "first": bars.ts[window.from_row], "last": bars.ts[window.to_row - 1], "rows": window.len(),
                        "rule": if args.from.is_some() || args.to.is_some() { "custom".to_string() } else { format!("last {}%", (args.eval_fraction.unwrap_or(0.2) * 100.0).round()) } },
            "transformSelection": choice,
            "horizons": to_json(&rows)?,
            "cache": to_json(&reports)?,
        }))
    })
}

/// Names of the built-in forecasters.
#[napi]
pub fn forecaster_names() -> Vec<String> {
    tradelab_features::forecast::builtin_names()
}
