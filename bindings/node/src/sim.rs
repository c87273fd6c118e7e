//! Backtests and sweeps: JSON requests in (`tradelab_backtest` request types), reports out as
//! JSON plus typed arrays. Conversion only: the use cases live in `crates/backtest`.
use crate::convert::{guarded, js_err, json_task, to_json, JsonTask, JsonText};
use crate::fills::{trade_columns, trip_columns, TradeColumns, TripColumns};
use crate::store::ProgressHandle;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;
use tradelab_backtest::single::{Curve, KeyedActions};
use tradelab_backtest::{harvest, portfolio, single, sweep};
use tradelab_data::Progress;

/// The engine's progress callback `(done, total)`, writing into the handle JS polls.
fn progress_fn(p: Arc<Progress>) -> impl Fn(u64, u64) + Send + Sync {
    move |done, total| {
        p.set_total(total);
        p.set_done(done);
    }
}

/// Action rows keyed by the open time (epoch ms) of the bar after whose close each was decided.
#[napi(object)]
pub struct ActionArrays {
    pub ts: Float64Array,
    pub buy_price: Float64Array,
    pub sell_price: Float64Array,
    pub buy_frac: Float64Array,
    pub sell_frac: Float64Array,
}

/// A file's numeric columns by name (`readNumericParquet`).
#[napi(object, object_from_js = false)]
pub struct NumericColumns {
    pub names: Vec<String>,
    pub columns: Vec<Float64Array>,
}

/// Reads a Parquet file's numeric columns (ints and floats as f64; nulls as NaN), e.g. an
/// actions file written by `tradelab actions`. TS maps the column names.
#[napi]
pub fn read_numeric_parquet(path: String) -> Result<NumericColumns> {
    let t = guarded("readNumericParquet", move || {
        tradelab_data::Table::read_parquet_numeric(std::path::Path::new(&path)).map_err(js_err)
    })?;
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for (n, c) in t.columns {
        if let tradelab_data::table::Column::F64(v) = c {
            names.push(n);
            columns.push(Float64Array::new(v));
        }
    }
    Ok(NumericColumns { names, columns })
}

/// A report (JSON, typed by `ts/src/generated/engine.ts`) plus its equity curve.
#[napi(object, object_from_js = false)]
pub struct ReportOutput {
    #[napi(ts_type = "unknown")]
    pub summary: JsonText,
    pub ts: Float64Array,
    pub equity: Float64Array,
    /// The traded symbol's close (single-asset runs; empty otherwise).
    pub close: Float64Array,
    /// Single-asset runs: the trades and round trips as columns (the summary's lists are empty).
    pub trades: Option<TradeColumns>,
    pub round_trips: Option<TripColumns>,
    /// Seconds inside the use case itself (loading bars, the engine, the report), without the
    /// request parsing, serialisation and crossing around it (`scripts/bench/napi` reads it).
    pub engine_seconds: f64,
}

/// A report job's result: the summary, the curves, a single-asset run's fills, and the seconds
/// spent in the use case.
type Done = (JsonText, Curve, Option<(TradeColumns, TripColumns)>, f64);
type Job = Box<dyn FnOnce() -> Result<Done> + Send>;

pub struct ReportTask {
    what: &'static str,
    job: Option<Job>,
}

#[napi]
impl Task for ReportTask {
    type Output = Done;
    type JsValue = ReportOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        let job = self.job.take().ok_or_else(|| js_err("task ran twice"))?;
        guarded(self.what, job)
    }

    fn resolve(
        &mut self,
        _env: Env,
        (summary, c, fills, secs): Self::Output,
    ) -> Result<Self::JsValue> {
        let f = |v: Vec<i64>| v.into_iter().map(|t| t as f64).collect::<Vec<f64>>();
        let (trades, round_trips) = fills.unzip();
        Ok(ReportOutput {
            summary,
            ts: Float64Array::new(f(c.ts)),
            equity: Float64Array::new(c.equity),
            close: Float64Array::new(c.close),
            trades,
            round_trips,
            engine_seconds: secs,
        })
    }
}

/// `f`'s result and the seconds it took (a report's `engineSeconds`).
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = std::time::Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn report_task(
    what: &'static str,
    job: impl FnOnce() -> Result<Done> + Send + 'static,
) -> AsyncTask<ReportTask> {
    AsyncTask::new(ReportTask {
        what,
        job: Some(Box::new(job)),
    })
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| js_err(format!("{what}: {e}")))
}

/// One symbol: a `SingleRequest` as JSON, and optionally precomputed actions instead of a strategy.
#[napi]
pub fn backtest(request_json: String, actions: Option<ActionArrays>) -> AsyncTask<ReportTask> {
    report_task("backtest", move || {
        let req: single::SingleRequest = parse("backtest request", &request_json)?;
        let ts: Option<Vec<i64>> = actions
            .as_ref()
            .map(|a| a.ts.iter().map(|t| *t as i64).collect());
        let keyed = match (&actions, &ts) {
            (Some(a), Some(ts)) => Some(KeyedActions {
                ts,
                buy_price: &a.buy_price,
                sell_price: &a.sell_price,
                buy_frac: &a.buy_frac,
                sell_frac: &a.sell_frac,
            }),
            _ => None,
        };
        let (r, secs) = timed(|| single::run(&req, keyed));
        let (mut report, curve) = r.map_err(js_err)?;
        let fills = (
            trade_columns(&std::mem::take(&mut report.trades)),
            trip_columns(&std::mem::take(&mut report.round_trips)),
        );
        Ok((JsonText::of(&report)?, curve, Some(fills), secs))
    })
}

/// An actions sweep: an `ActionsSweepRequest` as JSON and the actions (a served policy's or a file's).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn sweep_actions(request_json: String, actions: ActionArrays) -> AsyncTask<JsonTask> {
    json_task("sweepActions", move || {
        let req: tradelab_backtest::actions_sweep::ActionsSweepRequest =
            parse("actions sweep request", &request_json)?;
        let ts: Vec<i64> = actions.ts.iter().map(|t| *t as i64).collect();
        let keyed = KeyedActions {
            ts: &ts,
            buy_price: &actions.buy_price,
            sell_price: &actions.sell_price,
            buy_frac: &actions.buy_frac,
            sell_frac: &actions.sell_frac,
        };
        to_json(&tradelab_backtest::actions_sweep::run(&req, keyed).map_err(js_err)?)
    })
}

/// A walk-forward: a `WalkForwardRequest` as JSON, and for fixed actions one action set per
/// candidate (e.g. per served epoch) with its label; none for a rule strategy.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn walk_forward(
    request_json: String,
    labels: Vec<String>,
    candidates: Vec<ActionArrays>,
) -> AsyncTask<JsonTask> {
    json_task("walkForward", move || {
        let req: tradelab_backtest::walk_forward::WalkForwardRequest =
            parse("walk-forward request", &request_json)?;
        if labels.len() != candidates.len() {
            return Err(js_err(format!(
                "walkForward: {} labels for {} candidates",
                labels.len(),
                candidates.len()
            )));
        }
        let ts: Vec<Vec<i64>> = candidates
            .iter()
            .map(|a| a.ts.iter().map(|t| *t as i64).collect())
            .collect();
        let keyed: Vec<tradelab_backtest::walk_forward::Candidate<'_>> = candidates
            .iter()
            .zip(&ts)
            .zip(&labels)
            .map(
                |((a, ts), label)| tradelab_backtest::walk_forward::Candidate {
                    label: label.clone(),
                    actions: KeyedActions {
                        ts,
                        buy_price: &a.buy_price,
                        sell_price: &a.sell_price,
                        buy_frac: &a.buy_frac,
                        sell_frac: &a.sell_frac,
                    },
                },
            )
            .collect();
        to_json(&tradelab_backtest::walk_forward::run(&req, &keyed).map_err(js_err)?)
    })
}

/// A shared-cash portfolio: a `PortfolioRequest` as JSON.
#[napi]
pub fn backtest_portfolio(request_json: String) -> AsyncTask<ReportTask> {
    report_task("backtestPortfolio", move || {
        let req: portfolio::PortfolioRequest = parse("portfolio request", &request_json)?;
        let (r, secs) = timed(|| portfolio::run(&req));
        let (report, curve) = r.map_err(js_err)?;
        Ok((JsonText::of(&report)?, curve, None, secs))
    })
}

/// Funding harvest: a `HarvestRequest` as JSON.
#[napi]
pub fn funding_harvest(request_json: String) -> AsyncTask<ReportTask> {
    report_task("fundingHarvest", move || {
        let req: harvest::HarvestRequest = parse("funding harvest request", &request_json)?;
        let (r, secs) = timed(|| harvest::run(&req));
        let (report, curve) = r.map_err(js_err)?;
        Ok((JsonText::of(&report)?, curve, None, secs))
    })
}

#[napi(object)]
pub struct SweepArgs {
    /// A `Window` as JSON: `{ store, interval, from?, to? }`.
    pub window_json: String,
    pub symbol: String,
    /// `SweepSpec` as JSON: `{ base, strategy, grid }`.
    pub spec_json: String,
    /// Also write the result table here as Parquet (atomic).
    pub out: Option<String>,
}

/// Sweep result: the `SweepReport` as JSON and the row table as Arrow IPC.
#[napi(object, object_from_js = false)]
pub struct SweepOutput {
    #[napi(ts_type = "unknown")]
    pub summary: JsonText,
    pub table_ipc: Buffer,
}

pub struct SweepTask {
    args: SweepArgs,
    progress: Arc<Progress>,
    /// A distributed sweep's chunk results to merge (None: run the whole sweep here).
    chunks: Option<Vec<Vec<u8>>>,
}

#[napi]
impl Task for SweepTask {
    type Output = (JsonText, Vec<u8>);
    type JsValue = SweepOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("sweep", || {
            let a = &self.args;
            let window = parse("sweep window", &a.window_json)?;
            let cb = progress_fn(self.progress.clone());
            let (report, ipc) = match &self.chunks {
                None => sweep::run(
                    &window,
                    &a.symbol,
                    &a.spec_json,
                    a.out.as_deref(),
                    Some(&cb),
                ),
                Some(chunks) => {
                    sweep::run_merged(&window, &a.symbol, &a.spec_json, chunks, a.out.as_deref())
                }
            }
            .map_err(js_err)?;
            Ok((JsonText::of(&report)?, ipc))
        })
    }

    fn resolve(&mut self, _env: Env, (summary, ipc): Self::Output) -> Result<Self::JsValue> {
        Ok(SweepOutput {
            summary,
            table_ipc: Buffer::from(ipc),
        })
    }
}

/// Runs a grid sweep on the lockstep kernel, off the event loop; poll `progress` for done/total.
#[napi]
pub fn sweep(args: SweepArgs, progress: Option<&ProgressHandle>) -> AsyncTask<SweepTask> {
    AsyncTask::new(SweepTask {
        args,
        progress: progress.map(|p| p.inner()).unwrap_or_default(),
        chunks: None,
    })
}

/// A distributed sweep's plan: validates window, bars and spec and cuts the rows into `count`
/// chunks (`SweepPlan` as JSON); nothing runs.
#[napi]
pub fn sweep_plan(args: SweepArgs, count: u32) -> AsyncTask<JsonTask> {
    json_task("sweepPlan", move || {
        let window = parse("sweep window", &args.window_json)?;
        to_json(
            &sweep::plan(&window, &args.symbol, &args.spec_json, count as usize).map_err(js_err)?,
        )
    })
}

pub struct SweepChunkTask {
    args: SweepArgs,
    rows: (u32, u32),
    progress: Arc<Progress>,
}

#[napi]
impl Task for SweepChunkTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("sweepChunk", || {
            let a = &self.args;
            let window = parse("sweep window", &a.window_json)?;
            let cb = progress_fn(self.progress.clone());
            let (start, end) = (self.rows.0 as usize, self.rows.1 as usize);
            sweep::run_chunk(&window, &a.symbol, &a.spec_json, start, end, Some(&cb))
                .map_err(js_err)
        })
    }

    fn resolve(&mut self, _env: Env, out: Self::Output) -> Result<Self::JsValue> {
        Ok(Buffer::from(out))
    }
}

/// Rows `[start, end)` of a sweep (a worker's chunk), off the event loop: an opaque encoded
/// result for `sweepMerge`.
#[napi]
pub fn sweep_chunk(
    args: SweepArgs,
    start: u32,
    end: u32,
    progress: Option<&ProgressHandle>,
) -> AsyncTask<SweepChunkTask> {
    AsyncTask::new(SweepChunkTask {
        args,
        rows: (start, end),
        progress: progress.map(|p| p.inner()).unwrap_or_default(),
    })
}

/// A distributed sweep's report from its chunks' results: the same `SweepOutput` as `sweep`.
#[napi]
pub fn sweep_merge(args: SweepArgs, chunks: Vec<Buffer>) -> AsyncTask<SweepTask> {
    AsyncTask::new(SweepTask {
        args,
        progress: Arc::default(),
        chunks: Some(chunks.iter().map(|b| b.to_vec()).collect()),
    })
}

/// A portfolio sweep (`PortfolioSweepRequest` as JSON), one engine run per parameter set, off
/// the event loop; poll `progress` for done/total. Resolves to the `PortfolioSweepReport`.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn sweep_portfolio(
    request_json: String,
    progress: Option<&ProgressHandle>,
) -> AsyncTask<crate::convert::JsonTask> {
    let p = progress.map(|p| p.inner()).unwrap_or_default();
    crate::convert::json_task("sweepPortfolio", move || {
        let req: tradelab_backtest::portfolio_sweep::PortfolioSweepRequest =
            parse("portfolio sweep request", &request_json)?;
        let cb = progress_fn(p);
        to_json(&tradelab_backtest::portfolio_sweep::run(&req, Some(&cb)).map_err(js_err)?)
    })
}
