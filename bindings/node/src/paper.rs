//! Paper trading: the engine's step on one live bar at a time (`tradelab_backtest::paper`) and
//! the run's order journal (`tradelab_registry::OrderJournal`). Calls are synchronous by design:
//! one per bar, from a sequential JS loop that must not move on before the journal has committed.
use crate::convert::{guarded, js_err, to_json, Json};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_backtest::paper::{ActionRow, PaperRequest, PaperSession as Session};
use tradelab_registry::{NewOrderEvent, OrderJournal};
use tradelab_sim::engine::{Orders, State};
use tradelab_sim::{Side, Trade};

#[napi]
pub struct PaperSession {
    inner: Session,
}

#[napi]
impl PaperSession {
    /// A `PaperRequest` as JSON, and the journaled engine `State` (JSON) to resume from.
    #[napi(factory)]
    pub fn open(request_json: String, state_json: Option<String>) -> Result<PaperSession> {
        guarded("paperOpen", move || {
            let req: PaperRequest = serde_json::from_str(&request_json).map_err(js_err)?;
            let state: Option<State> = state_json
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(js_err)?;
            Ok(PaperSession {
                inner: Session::open(&req, state).map_err(js_err)?,
            })
        })
    }

    /// Appends closed bars (epoch-ms open times as f64).
    #[napi]
    pub fn push(
        &mut self,
        ts: Float64Array,
        open: Float64Array,
        high: Float64Array,
        low: Float64Array,
        close: Float64Array,
        volume: Float64Array,
    ) -> Result<()> {
        let s = &mut self.inner;
        guarded("paperPush", move || {
            if let Some(t) = ts.iter().find(|t| !(t.is_finite() && t.fract() == 0.0)) {
                return Err(js_err(format!("bar open time {t} is not an integer of ms")));
            }
            let ts: Vec<i64> = ts.iter().map(|t| *t as i64).collect();
            s.push(&ts, &open, &high, &low, &close, &volume)
                .map_err(js_err)
        })
    }

    #[napi(getter)]
    pub fn bars(&self) -> u32 {
        self.inner.bars() as u32
    }

    /// Bars pushed but not stepped yet.
    #[napi(getter)]
    pub fn pending(&self) -> u32 {
        self.inner.pending() as u32
    }

    /// Open time of pushed bar `i`, or -1.
    #[napi]
    pub fn bar_ts(&self, i: u32) -> f64 {
        self.inner.bar_ts(i as usize).map_or(-1.0, |t| t as f64)
    }

    /// The orders (engine `Orders`) resting on the next bar to step.
    #[napi(ts_return_type = "unknown")]
    pub fn decide(&self) -> Result<Json> {
        let s = &self.inner;
        guarded("paperDecide", move || {
            Ok(Json(to_json(&s.decide().map_err(js_err)?)?))
        })
    }

    /// The pushed bar whose action row decides the next bar to step, or -1 (none yet).
    #[napi(getter)]
    pub fn decision_row(&self) -> i64 {
        self.inner.decision_row().map_or(-1, |r| r as i64)
    }

    /// The orders (engine `Orders`) resting on the next bar to step, from an `ActionRow` (JSON)
    /// decided outside for the decision bar (a policy checkpoint's decider).
    #[napi(ts_return_type = "unknown")]
    pub fn decide_row(&self, row_json: String) -> Result<Json> {
        let s = &self.inner;
        guarded("paperDecideRow", move || {
            let row: ActionRow = serde_json::from_str(&row_json).map_err(js_err)?;
            Ok(Json(to_json(&s.decide_row(&row).map_err(js_err)?)?))
        })
    }

    /// Steps the next pushed bar with these resting `Orders` (JSON); returns its fills (`Trade[]`).
    #[napi(ts_return_type = "unknown")]
    pub fn fill(&mut self, orders_json: String) -> Result<Json> {
        let s = &mut self.inner;
        guarded("paperFill", move || {
            let o: Orders = serde_json::from_str(&orders_json).map_err(js_err)?;
            Ok(Json(to_json(&s.fill(&o).map_err(js_err)?)?))
        })
    }

    /// Live: books a venue fill (`side` buy/sell, fee in quote currency) on the next bar to step;
    /// returns the `Trade`. Then `fill` with no orders closes the bar.
    #[napi(ts_return_type = "unknown")]
    pub fn book_venue_fill(
        &mut self,
        side: String,
        price: f64,
        qty: f64,
        fee: f64,
    ) -> Result<Json> {
        let s = &mut self.inner;
        guarded("paperBookVenueFill", move || {
            let side = match side.as_str() {
                "buy" => Side::Buy,
                "sell" => Side::Sell,
                other => return Err(js_err(format!("side '{other}' is not buy or sell"))),
            };
            Ok(Json(to_json(
                &s.book_venue_fill(side, price, qty, fee).map_err(js_err)?,
            )?))
        })
    }

    /// The engine `State` as JSON text (floats round-trip exactly).
    #[napi]
    pub fn state_json(&self) -> Result<String> {
        serde_json::to_string(self.inner.state()).map_err(js_err)
    }

    /// `PaperStatus`.
    #[napi(ts_return_type = "unknown")]
    pub fn status(&self) -> Result<Json> {
        Ok(Json(to_json(&self.inner.status())?))
    }

    /// The resolved `SimParams` (interval and P filled in).
    #[napi(ts_return_type = "unknown")]
    pub fn params(&self) -> Result<Json> {
        Ok(Json(to_json(self.inner.params())?))
    }
}

/// Hex SHA-256 over a trade list (`Trade[]` as JSON), as `tradelab backtest` reports it.
#[napi]
pub fn trade_sha256(trades_json: String) -> Result<String> {
    let t: Vec<Trade> = serde_json::from_str(&trades_json).map_err(js_err)?;
    Ok(tradelab_sim::trade_sha256(&t))
}

/// The client order id for (run, bar open time, instrument index, side).
#[napi]
pub fn client_order_id(run: String, bar_ts: f64, instrument: u32, side: String) -> Result<String> {
    tradelab_registry::client_order_id(&run, bar_ts as i64, instrument as usize, &side)
        .map_err(js_err)
}

#[napi]
pub struct OrderJournalHandle {
    inner: OrderJournal,
}

#[napi]
impl OrderJournalHandle {
    #[napi(factory)]
    pub fn open(path: String) -> Result<OrderJournalHandle> {
        Ok(OrderJournalHandle {
            inner: OrderJournal::open(&path).map_err(js_err)?,
        })
    }

    /// Registers or resumes a run; true when it already existed.
    #[napi]
    pub fn begin_run(&self, run: String, mode: String, config_json: String) -> Result<bool> {
        let config: serde_json::Value = serde_json::from_str(&config_json).map_err(js_err)?;
        self.inner.begin_run(&run, &mode, &config).map_err(js_err)
    }

    /// Appends events (`NewOrderEvent[]` as JSON) in one transaction; per event, whether it was new.
    #[napi]
    pub fn append(&mut self, run: String, events_json: String) -> Result<Vec<bool>> {
        let events: Vec<NewOrderEvent> = serde_json::from_str(&events_json).map_err(js_err)?;
        self.inner.append(&run, &events).map_err(js_err)
    }

    /// `{ barTs, state }` of the run's last state event, or null.
    #[napi(ts_return_type = "unknown")]
    pub fn latest_state(&self, run: String) -> Result<Json> {
        let s = self.inner.latest_state(&run).map_err(js_err)?;
        Ok(Json(match s {
            Some((ts, v)) => serde_json::json!({ "barTs": ts, "state": v }),
            None => serde_json::Value::Null,
        }))
    }

    /// The run's events in order (`OrderEvent[]`), optionally of one kind.
    #[napi(ts_return_type = "unknown")]
    pub fn events(&self, run: String, kind: Option<String>) -> Result<Json> {
        Ok(Json(to_json(
            &self.inner.events(&run, kind.as_deref()).map_err(js_err)?,
        )?))
    }

    #[napi(ts_return_type = "unknown")]
    pub fn runs(&self) -> Result<Json> {
        Ok(Json(to_json(&self.inner.runs().map_err(js_err)?)?))
    }
}

/// `CurveMetrics` of an equity curve (one value per bar close) from `start`, with P periods per
/// year: the metrics every backtest reports, for a paper run's journaled equity.
#[napi(ts_return_type = "unknown")]
pub fn curve_metrics(start: f64, equity: Float64Array, periods_per_year: f64) -> Result<Json> {
    if !(start.is_finite() && start > 0.0 && periods_per_year.is_finite() && periods_per_year > 0.0)
    {
        return Err(js_err(format!(
            "curve metrics: start {start} and P {periods_per_year} must be finite and positive"
        )));
    }
    Ok(Json(to_json(&tradelab_sim::curve_metrics(
        start,
        &equity,
        periods_per_year,
    ))?))
}

/// A running `CurveMetrics`: equity pushed one bar at a time, metrics at any point equal to
/// `curveMetrics` over the curve so far (the same fold), in O(1) per bar. For the loops'
/// per-bar metrics log, which would otherwise recompute the whole curve every bar.
#[napi]
pub struct CurveAccumulator {
    stats: tradelab_sim::CurveStats,
    periods_per_year: f64,
}

#[napi]
impl CurveAccumulator {
    #[napi(constructor)]
    pub fn new(start: f64, periods_per_year: f64) -> Result<CurveAccumulator> {
        if !(start.is_finite()
            && start > 0.0
            && periods_per_year.is_finite()
            && periods_per_year > 0.0)
        {
            return Err(js_err(format!(
                "curve accumulator: start {start} and P {periods_per_year} must be finite and positive"
            )));
        }
        Ok(CurveAccumulator {
            stats: tradelab_sim::CurveStats::new(start),
            periods_per_year,
        })
    }

    /// Adds one bar's closing equity.
    #[napi]
    pub fn push(&mut self, equity: f64) -> Result<()> {
        if !equity.is_finite() {
            return Err(js_err(format!(
                "curve accumulator: equity {equity} is not finite"
            )));
        }
        self.stats.push(equity);
        Ok(())
    }

    /// `CurveMetrics` of the curve so far.
    #[napi(ts_return_type = "unknown")]
    pub fn metrics(&self) -> Result<Json> {
        Ok(Json(to_json(&self.stats.finish(self.periods_per_year))?))
    }
}
