//! The selector session: the Rust engine stepped by a TypeScript `Selector`. Calls are
//! synchronous by design (one per timestamp, driven by the JS loop); opening a session is
//! the only heavy call (bars, actions, forecasts). Buffers are the caller's Float64Arrays,
//! written in place: no copies per step.
use crate::convert::{guarded, js_err, json_task, JsonTask, JsonText};
use crate::sim::ActionArrays;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_backtest::select::{
    SelectRequest, SelectSession, CAND_FIELDS, ORDER_FIELDS, STATE_FIELDS,
};
use tradelab_backtest::single::KeyedActions;

/// A finished selector run: the report as JSON, the per-step series as typed arrays (no copies).
#[napi(object, object_from_js = false)]
pub struct SelectFinished {
    /// `SelectReport`.
    #[napi(ts_type = "unknown")]
    pub report: JsonText,
    pub ts: Float64Array,
    pub equity: Float64Array,
    pub benchmark: Float64Array,
    /// Step-major, one value per symbol: position value / equity at each close.
    pub allocation: Float64Array,
}

#[napi]
pub struct SelectorSession {
    inner: Option<SelectSession>,
    symbols: Vec<String>,
}

fn open_err() -> Error {
    js_err("selector session: already finished")
}

fn open_session(request_json: &str, actions: &[ActionArrays]) -> Result<SelectSession> {
    let req: SelectRequest = serde_json::from_str(request_json).map_err(js_err)?;
    let ts: Vec<Vec<i64>> = actions
        .iter()
        .map(|a| a.ts.iter().map(|t| *t as i64).collect())
        .collect();
    let keyed: Vec<KeyedActions<'_>> = actions
        .iter()
        .zip(&ts)
        .map(|(a, ts)| KeyedActions {
            ts,
            buy_price: &a.buy_price,
            sell_price: &a.sell_price,
            buy_frac: &a.buy_frac,
            sell_frac: &a.sell_frac,
        })
        .collect();
    SelectSession::open(&req, &keyed).map_err(js_err)
}

/// Opening a session off the event loop (it reads every symbol's bars and forecasts).
pub struct OpenTask {
    request_json: String,
    actions: Vec<ActionArrays>,
}

#[napi]
impl Task for OpenTask {
    type Output = SelectSession;
    type JsValue = SelectorSession;

    fn compute(&mut self) -> Result<Self::Output> {
        let (req, actions) = (&self.request_json, &self.actions);
        guarded("selectorOpen", move || open_session(req, actions))
    }

    fn resolve(&mut self, _env: Env, s: Self::Output) -> Result<Self::JsValue> {
        Ok(SelectorSession {
            symbols: s.symbols(),
            inner: Some(s),
        })
    }
}

/// `SelectorSession.open` on the libuv thread pool.
#[napi(ts_return_type = "Promise<SelectorSession>")]
pub fn open_selector_session(
    request_json: String,
    actions: Vec<ActionArrays>,
) -> AsyncTask<OpenTask> {
    AsyncTask::new(OpenTask {
        request_json,
        actions,
    })
}

#[napi]
impl SelectorSession {
    /// Opens a session synchronously (worker threads; `openSelectorSession` is the async form):
    /// a `SelectRequest` as JSON, and one action set per symbol (in the request's symbol order)
    /// unless the request names a rule strategy.
    #[napi(factory)]
    pub fn open(request_json: String, actions: Vec<ActionArrays>) -> Result<SelectorSession> {
        guarded("selectorOpen", move || {
            let s = open_session(&request_json, &actions)?;
            Ok(SelectorSession {
                symbols: s.symbols(),
                inner: Some(s),
            })
        })
    }

    #[napi(getter)]
    pub fn symbols(&self) -> Vec<String> {
        self.symbols.clone()
    }

    /// Fields per symbol: candidates, state (after 3 account fields), orders.
    #[napi(getter)]
    pub fn layout(&self) -> Vec<u32> {
        vec![CAND_FIELDS as u32, STATE_FIELDS as u32, ORDER_FIELDS as u32]
    }

    /// Fills `candidates` and `state` for the next timestamp; returns its bar open time (ms), or
    /// -1 when the clock is done.
    #[napi]
    pub fn next(&mut self, mut candidates: Float64Array, mut state: Float64Array) -> Result<f64> {
        let s = self.inner.as_mut().ok_or_else(open_err)?;
        guarded("selectorNext", move || {
            // SAFETY: a synchronous call on the JS thread; no JS runs while Rust writes.
            let (c, st) = unsafe { (candidates.as_mut(), state.as_mut()) };
            Ok(s.next(c, st).map_err(js_err)?.map_or(-1.0, |t| t as f64))
        })
    }

    /// Fills `orders` on the prepared timestamp.
    #[napi]
    pub fn apply(&mut self, orders: Float64Array) -> Result<()> {
        let s = self.inner.as_mut().ok_or_else(open_err)?;
        guarded("selectorApply", move || s.apply(&orders).map_err(js_err))
    }

    /// The `SelectReport` and its per-step series (the session is done after this).
    #[napi]
    pub fn finish(
        &mut self,
        selector: String,
        optimistic: Option<String>,
    ) -> Result<SelectFinished> {
        let s = self.inner.take().ok_or_else(open_err)?;
        guarded("selectorFinish", move || {
            let mut r = s.finish(&selector, optimistic.as_deref());
            let c = std::mem::take(&mut r.curves);
            Ok(SelectFinished {
                report: JsonText::of(&r)?,
                ts: Float64Array::new(c.ts.iter().map(|t| *t as f64).collect()),
                equity: Float64Array::new(c.equity),
                benchmark: Float64Array::new(c.benchmark),
                allocation: Float64Array::new(c.allocation),
            })
        })
    }
}

/// The best honest row of a selector sweep and its deflated Sharpe / PBO: the rows as JSON
/// (`SweptRow[]`), each row's start equity and equity curve, and P.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn select_sweep_summary(
    rows_json: String,
    starts: Float64Array,
    curves: Vec<Float64Array>,
    periods_per_year: f64,
) -> AsyncTask<JsonTask> {
    json_task("selectSweepSummary", move || {
        let rows: Vec<tradelab_backtest::select::SweptRow> =
            serde_json::from_str(&rows_json).map_err(js_err)?;
        let curves: Vec<(f64, Vec<f64>)> = starts
            .iter()
            .zip(&curves)
            .map(|(s, c)| (*s, c.to_vec()))
            .collect();
        let (best, overfit) =
            tradelab_backtest::select::sweep_summary(&rows, &curves, periods_per_year)
                .map_err(js_err)?;
        Ok(serde_json::json!({ "best": best, "overfit": overfit }))
    })
}
