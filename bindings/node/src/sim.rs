//! Simulator functions: one backtest (reference simulator) and grid sweeps (lockstep kernel).
use crate::convert::{guarded, interval, js_err, symbol, to_json, Json};
use crate::store::ProgressHandle;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;
use tradelab_core::Bars;
use tradelab_data::{Progress, Store, Table};
use tradelab_sim::{run_sweep, simulate, Actions, SimParams, Strategy, SweepSpec};

#[napi(object)]
pub struct BacktestArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
    /// First bar open time included (epoch ms).
    pub from: Option<f64>,
    /// Bars opening at or after this time are excluded (epoch ms).
    pub to: Option<f64>,
    /// `Strategy` as JSON, e.g. `{"kind":"emaCross","fast":12,"slow":26}`; or give `actions`.
    pub strategy_json: Option<String>,
    /// Precomputed actions keyed by decision bar open time (instead of a strategy).
    pub actions: Option<ActionArrays>,
    /// `SimParams` as JSON (missing fields take the honest defaults).
    pub params_json: String,
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

/// A backtest: summary (label, metrics, trades) as JSON plus the equity curve as typed arrays.
#[napi(object, object_from_js = false)]
pub struct BacktestOutput {
    pub summary: Json,
    pub ts: Float64Array,
    pub equity: Float64Array,
    pub close: Float64Array,
}

fn load(store: &str, sym: &str, iv: &str, from: Option<f64>, to: Option<f64>) -> Result<(Bars, i64)> {
    let iv = interval(iv)?;
    let bars = Store::open(store).read(&symbol(sym)?, iv).map_err(js_err)?;
    let bars = bars.between(from.map(|f| f as i64), to.map(|t| t as i64));
    if bars.is_empty() {
        return Err(js_err(format!("no {sym} {iv} bars in the requested window")));
    }
    Ok((bars, iv.ms()))
}

pub struct BacktestTask {
    args: BacktestArgs,
}

pub struct BacktestRaw {
    summary: serde_json::Value,
    ts: Vec<f64>,
    equity: Vec<f64>,
    close: Vec<f64>,
}

#[napi]
impl Task for BacktestTask {
    type Output = BacktestRaw;
    type JsValue = BacktestOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("backtest", || {
            let a = &self.args;
            let (bars, interval_ms) = load(&a.store, &a.symbol, &a.interval, a.from, a.to)?;
            let mut params: SimParams = serde_json::from_str(&a.params_json).map_err(|e| js_err(format!("simulator params: {e}")))?;
            params.interval_ms = interval_ms;
            let (actions, strategy_json, strategy_label) = match (&a.actions, &a.strategy_json) {
                (Some(x), _) => {
                    let ts: Vec<i64> = x.ts.iter().map(|t| *t as i64).collect();
                    let acts = Actions::from_keyed(&bars.ts, &ts, &x.buy_price, &x.sell_price, &x.buy_frac, &x.sell_frac).map_err(js_err)?;
                    (acts, serde_json::json!({ "kind": "actions", "rows": ts.len() }), "actions file".to_string())
                }
                (None, Some(sj)) => {
                    let strategy: Strategy = serde_json::from_str(sj).map_err(|e| js_err(format!("strategy: {e}")))?;
                    (strategy.actions(&bars).map_err(js_err)?, to_json(&strategy)?, strategy.label())
                }
                (None, None) => return Err(js_err("backtest needs a strategy or actions")),
            };
            let r = simulate(&bars, &actions, &params).map_err(js_err)?;
            let summary = serde_json::json!({
                "label": to_json(&r.label)?,
                "params": to_json(&params)?,
                "strategy": strategy_json,
                "strategyLabel": strategy_label,
                "metrics": to_json(&r.metrics)?,
                "trades": to_json(&r.trades)?,
                "finalCash": r.final_cash,
                "finalInventory": r.final_inventory,
                "bars": bars.len(),
                "first": bars.ts.first(),
                "last": bars.ts.last(),
            });
            Ok(BacktestRaw { summary, ts: bars.ts.iter().map(|t| *t as f64).collect(), equity: r.equity, close: bars.close })
        })
    }

    fn resolve(&mut self, _env: Env, o: Self::Output) -> Result<Self::JsValue> {
        Ok(BacktestOutput { summary: Json(o.summary), ts: Float64Array::new(o.ts), equity: Float64Array::new(o.equity), close: Float64Array::new(o.close) })
    }
}

/// Runs one strategy through the reference simulator.
#[napi]
pub fn backtest(args: BacktestArgs) -> AsyncTask<BacktestTask> {
    AsyncTask::new(BacktestTask { args })
}

#[napi(object)]
pub struct SweepArgs {
    pub store: String,
    pub symbol: String,
    pub interval: String,
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// `SweepSpec` as JSON: `{ base, strategy, grid }`.
    pub spec_json: String,
    /// Also write the result table here as Parquet (atomic).
    pub out: Option<String>,
}

/// Sweep result: summary JSON (rows, skipped, counts, timing) and the row table as Arrow IPC.
#[napi(object, object_from_js = false)]
pub struct SweepOutput {
    pub summary: Json,
    pub table_ipc: Buffer,
}

pub struct SweepTask {
    args: SweepArgs,
    progress: Arc<Progress>,
}

#[napi]
impl Task for SweepTask {
    type Output = (serde_json::Value, Vec<u8>);
    type JsValue = SweepOutput;

    fn compute(&mut self) -> Result<Self::Output> {
        guarded("sweep", || {
            let a = &self.args;
            let (bars, interval_ms) = load(&a.store, &a.symbol, &a.interval, a.from, a.to)?;
            let mut spec = SweepSpec::from_json(&a.spec_json).map_err(js_err)?;
            spec.base.interval_ms = interval_ms;
            let p = self.progress.clone();
            let cb = move |done: u64, total: u64| {
                p.set_total(total);
                p.set_done(done);
            };
            let started = std::time::Instant::now();
            let r = run_sweep(&bars, &spec, Some(&cb)).map_err(js_err)?;
            let seconds = started.elapsed().as_secs_f64();
            let rows: Vec<serde_json::Value> = r.rows.iter().map(to_json).collect::<Result<_>>()?;
            let mut table = Table::from_json_rows(&rows);
            let label = spec.base.describe();
            table.metadata.insert("tradelab.symbol".into(), a.symbol.clone());
            table.metadata.insert("tradelab.interval".into(), a.interval.clone());
            table.metadata.insert("tradelab.base_label".into(), label.text.clone());
            table.metadata.insert("tradelab.window".into(), format!("{}..{}", bars.ts[0], bars.ts[bars.len() - 1]));
            if let Some(out) = &a.out {
                table.write_parquet(std::path::Path::new(out)).map_err(js_err)?;
            }
            let ipc = table.to_ipc_stream().map_err(js_err)?;
            let summary = serde_json::json!({
                "rows": rows,
                "skipped": r.skipped,
                "barEvaluations": r.bar_evaluations,
                "seconds": seconds,
                "threads": rayon_threads(),
                "bars": bars.len(),
                "first": bars.ts.first(),
                "last": bars.ts.last(),
                "baseLabel": to_json(&label)?,
            });
            Ok((summary, ipc))
        })
    }

    fn resolve(&mut self, _env: Env, (summary, ipc): Self::Output) -> Result<Self::JsValue> {
        Ok(SweepOutput { summary: Json(summary), table_ipc: Buffer::from(ipc) })
    }
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Runs a grid sweep on the lockstep kernel, off the event loop; poll `progress` for done/total.
#[napi]
pub fn sweep(args: SweepArgs, progress: Option<&ProgressHandle>) -> AsyncTask<SweepTask> {
    AsyncTask::new(SweepTask { args, progress: progress.map(|p| p.inner()).unwrap_or_default() })
}
