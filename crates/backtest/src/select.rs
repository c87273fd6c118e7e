//! The multi-asset selector's engine side (seed-system §7): one shared-cash portfolio on the
//! engine's `step` ([`tradelab_sim::engine::Stepper`]), advanced one timestamp at a time by a
//! selector written in TypeScript. Per timestamp this module hands the selector every symbol's
//! candidate (its action row and forecasts, `lag` bars old, and the edge computed here in bulk)
//! and the portfolio state, then fills the orders it returns. Selection rules live in TS; the
//! fill, fee, volume and hold rules live in the engine, once.
use crate::error::{BacktestError, Result};
use crate::load::{self, SplitInfo, Window};
use crate::single::{window_params, KeyedActions};
use serde::{Deserialize, Serialize};
use tradelab_calendar::Calendar;
use tradelab_core::{Bars, Symbol};
use tradelab_sim::engine::{
    orders_from_row, Engine, InstrumentResult, Limit, OrderTransform, Orders, Size, Stepper,
};
use tradelab_sim::{Actions, Metrics, SimLabel, SimParams, Strategy};

/// How a long candidate's edge is scored (f = per-side maker fee, β = buy fraction, B = buy
/// limit, pH/pL/pC = the forecast p50 high/low/close at the decision's horizon).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum EdgeMode {
    /// ((pH − B)/B − rw·max(0, (B − pL)/B) − 2f)·β
    HighLow,
    /// ((pH − B)/B − 2f)·β
    High,
    /// ((pC − B)/B − 2f)·β
    Close,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectRequest {
    #[serde(flatten)]
    pub window: Window,
    pub symbols: Vec<String>,
    /// Every symbol's actions from this rule strategy; absent: fixed actions are given per symbol.
    #[serde(default)]
    #[ts(optional)]
    pub strategy: Option<Strategy>,
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub params: Option<SimParams>,
    /// The forecaster (`tradelab forecast build`'s names) and the horizon whose p50 high, low
    /// and close score the edge; computed causally on all stored bars, keyed by issue time.
    pub forecast_model: String,
    #[serde(default = "one")]
    #[ts(as = "Option<u32>", optional)]
    pub horizon: u32,
    pub edge_mode: EdgeMode,
    /// rw in `high_low` (default 0.5).
    #[serde(default = "half")]
    #[ts(as = "Option<f64>", optional)]
    pub risk_weight: f64,
    /// OPTIMISTIC (seed §12.6): also tell the selector whether each buy limit is reached on the
    /// bar it would rest on — a look at that bar's low before it happens.
    #[serde(default)]
    #[ts(as = "Option<bool>", optional)]
    pub fillable_lookahead: bool,
    /// OPTIMISTIC (seed §12.6, `--dip-threshold-pct`): also tell the selector whether the bar
    /// the order rests on dips to close × (1 − x) — its own low and close, before they happen.
    #[serde(default)]
    #[ts(optional)]
    pub dip_threshold_pct: Option<f64>,
    /// Per-symbol fees replacing `params`' maker/taker for that symbol, keyed by symbol or by a
    /// star, a slash and a quote for every symbol of that quote (a venue's zero-fee FDUSD pairs);
    /// an exact symbol wins over its quote. The label lists every symbol with its own fees.
    #[serde(default)]
    #[ts(type = "Record<string, { maker: number, taker: number }>", optional)]
    pub fees: Option<std::collections::BTreeMap<String, tradelab_sim::model::Fees>>,
    /// Stocks: close every position at its session's last bar (taker fee).
    #[serde(default)]
    #[ts(as = "Option<bool>", optional)]
    pub end_of_day_close: bool,
    /// Spot shorts (seed §7's mirrored candidates); absent: long-only.
    #[serde(default)]
    #[ts(optional)]
    pub shorts: Option<ShortSettings>,
}

/// Which symbols may go short, and what borrowing their units costs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShortSettings {
    /// Symbols that may go short (absent: every symbol).
    #[serde(default)]
    #[ts(optional)]
    pub symbols: Option<Vec<String>>,
    /// Annual borrow cost on the short's notional at each close, accrued per bar (e.g. 0.03).
    pub borrow_rate: f64,
}

fn one() -> u32 {
    1
}
fn half() -> f64 {
    0.5
}

/// Candidate fields per symbol in the buffer [`SelectSession::next`] fills.
pub const CAND_FIELDS: usize = 13;
/// State fields per symbol (after the 3 account fields: cash, equity, step).
pub const STATE_FIELDS: usize = 3;
/// Order fields per symbol in the buffer [`SelectSession::apply`] reads.
pub const ORDER_FIELDS: usize = 5;

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SelectReport {
    pub symbols: Vec<String>,
    /// The simulator's assumptions (lag, fill, fees, P), with the selector's OPTIMISTIC modes.
    pub label: SimLabel,
    /// The selector's own description (from TS), e.g. "edge high_low rw 0.5, min edge 0.001, 1 slot".
    pub selector: String,
    pub params: SimParams,
    pub periods: String,
    pub metrics: Metrics,
    /// Per symbol: trades, round trips, PnL contribution, share of time held (`exposure`).
    pub instruments: Vec<InstrumentResult>,
    pub final_cash: f64,
    pub liquidation_value: f64,
    /// Borrow cost of shorts plus margin interest paid over the run.
    pub financing: f64,
    #[ts(type = "number")]
    pub steps: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
    /// The per-step series, handed to JS as typed arrays (not JSON: 14 symbols × 70k steps is
    /// past what a JSON value may hold).
    #[serde(skip)]
    #[ts(skip)]
    pub curves: SelectCurves,
    pub data_hash: String,
    pub split: Option<SplitInfo>,
}

/// A selector run's per-step series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SelectCurves {
    /// Bar open times and equity at each close.
    pub ts: Vec<i64>,
    pub equity: Vec<f64>,
    /// Equal-weight buy and hold of the symbols from the first step (each symbol's close over its
    /// first close, averaged; a symbol without a bar keeps its last close), same start equity.
    pub benchmark: Vec<f64>,
    /// Step-major, one value per symbol: the position's value at the close as a fraction of
    /// equity (`allocation[step * symbols + k]`), for the report's allocation chart.
    pub allocation: Vec<f64>,
}

/// A selector backtest in progress.
pub struct SelectSession {
    symbols: Vec<Symbol>,
    bars: Vec<Bars>,
    actions: Vec<Actions>,
    /// p50 high, low, close at the horizon, per symbol, aligned to its window bars.
    forecast: Vec<[Vec<f64>; 3]>,
    engine: Engine,
    stepper: Stepper,
    params: SimParams,
    periods: String,
    transform: OrderTransform,
    edge_mode: EdgeMode,
    risk_weight: f64,
    fillable: bool,
    dip: Option<f64>,
    /// Per symbol: it may go short (then a flat or short position's sell opens or adds to a
    /// short, and a short position's buy covers it).
    short_ok: Vec<bool>,
    interval_ms: i64,
    /// Per symbol: whether each bar is its session's last (stocks), for end-of-day closes.
    session_ends: Vec<Option<Vec<bool>>>,
    data_hash: String,
    split: Option<SplitInfo>,
    allocation: Vec<f64>,
    benchmark: Vec<f64>,
    /// Per symbol: its first close and its last close seen (for the benchmark).
    first_close: Vec<f64>,
    last_close: Vec<f64>,
    /// Some order was a same-bar re-entry (a buy spending an exit's proceeds): OPTIMISTIC.
    reentry: bool,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> BacktestError {
    BacktestError::input(field, reason)
}

impl SelectSession {
    /// Loads the bars, actions (the rule strategy's, or `fixed` in symbol order) and forecasts.
    pub fn open(req: &SelectRequest, fixed: &[KeyedActions<'_>]) -> Result<SelectSession> {
        if req.symbols.is_empty() {
            return Err(bad("symbols", "give at least one symbol"));
        }
        if let Some(x) = req.dip_threshold_pct {
            if !(x.is_finite() && (0.0..1.0).contains(&x)) {
                return Err(bad("dipThresholdPct", format!("{x} must be in [0, 1)")));
            }
        }
        if !(req.risk_weight.is_finite() && req.risk_weight >= 0.0) {
            return Err(bad(
                "riskWeight",
                format!("{} must be finite and >= 0", req.risk_weight),
            ));
        }
        let names: Vec<&str> = req.symbols.iter().map(String::as_str).collect();
        let (window, split) = req.window.resolve(&names, "select")?;
        let iv = window.interval()?;
        let forecaster = tradelab_features::forecast::forecaster_by_name(&req.forecast_model)
            .map_err(|e| bad("forecastModel", e.to_string()))?;
        let cache = tradelab_features::forecast::ForecastCache::new(&window.store);
        let quantiles = tradelab_features::spec::default_quantiles();
        if !quantiles.iter().any(|q| (q - 0.5).abs() < 1e-12) {
            return Err(bad("forecast", "the default quantiles have no p50"));
        }
        for (k, s) in req.symbols.iter().enumerate() {
            if req.symbols[..k].contains(s) {
                return Err(bad("symbols", format!("{s} is listed twice")));
            }
        }
        // Symbols load independently (their own store and forecast-cache folders): in parallel.
        // Errors are reported in symbol order, whichever thread met them first.
        let loaded: Vec<Result<Loaded>> = {
            use rayon::prelude::*;
            req.symbols
                .par_iter()
                .map(|s| load_symbol(s, &window, iv, &cache, forecaster.as_ref(), req, &quantiles))
                .collect::<Vec<Result<Loaded>>>()
        };
        let loaded: Vec<Loaded> = loaded.into_iter().collect::<Result<_>>()?;
        let mut symbols = Vec::new();
        let mut bars_all = Vec::new();
        let mut forecast = Vec::new();
        let mut calendar = Calendar::Always;
        let mut calendars = Vec::new();
        for (k, l) in loaded.into_iter().enumerate() {
            if k == 0 || l.calendar.periods_per_year(iv.ms()) > calendar.periods_per_year(iv.ms()) {
                calendar = l.calendar;
            }
            calendars.push(l.calendar);
            symbols.push(l.symbol);
            bars_all.push(l.bars);
            forecast.push(l.forecast);
        }
        let actions: Vec<Actions> = match (&req.strategy, fixed.is_empty()) {
            (Some(s), true) => bars_all
                .iter()
                .zip(&symbols)
                .map(|(b, sym)| {
                    s.actions(b)
                        .map_err(|e| bad(format!("strategy on {sym}"), e.to_string()))
                })
                .collect::<Result<_>>()?,
            (None, false) if fixed.len() == symbols.len() => fixed
                .iter()
                .zip(&bars_all)
                .zip(&symbols)
                .map(|((a, b), sym)| match a.within(&b.ts) {
                    Ok((_, 0)) => Err(bad(
                        format!("actions {sym}"),
                        "no action rows over the window",
                    )),
                    Ok((x, _)) => Ok(x),
                    Err(e) => Err(bad(format!("actions {sym}"), e.to_string())),
                })
                .collect::<Result<_>>()?,
            (None, false) => {
                return Err(bad(
                    "actions",
                    format!("{} action sets for {} symbols", fixed.len(), symbols.len()),
                ))
            }
            (Some(_), false) => {
                return Err(bad("strategy", "give a rule strategy or actions, not both"))
            }
            (None, true) => {
                return Err(bad(
                    "strategy",
                    "needs a rule strategy or actions per symbol",
                ))
            }
        };
        let (params, periods) =
            window_params(&req.params.clone().unwrap_or_default(), calendar, iv.ms())?;
        params.validate()?;
        let short_ok = short_symbols(req.shorts.as_ref(), &symbols)?;
        let mut engine_params = params.engine_params();
        engine_params.borrow_rate = req.shorts.as_ref().map_or(0.0, |s| s.borrow_rate);
        let engine = Engine::new(
            engine_params,
            symbols
                .iter()
                .zip(&calendars)
                .zip(&short_ok)
                .map(|((s, cal), &short)| {
                    let mut spec = params.instrument(s.as_str());
                    spec.allow_short = short;
                    spec.end_of_day_close = *cal != Calendar::Always && req.end_of_day_close;
                    if let Some(f) = req.fees.as_ref().and_then(|m| fees_for(m, s.as_str())) {
                        spec.fees = f;
                    }
                    spec
                })
                .collect(),
        )?;
        if let Some(m) = &req.fees {
            if let Some(unknown) = m
                .keys()
                .find(|k| !symbols.iter().any(|s| fee_key_matches(k, s.as_str())))
            {
                return Err(bad(
                    "fees",
                    format!("{unknown} matches none of the symbols (keys: a symbol, or */QUOTE)"),
                ));
            }
            for (k, f) in m {
                if !(f.maker.is_finite() && f.taker.is_finite() && f.maker >= 0.0 && f.taker >= 0.0)
                {
                    return Err(bad(
                        format!("fees {k}"),
                        "maker and taker must be finite and >= 0",
                    ));
                }
            }
        }
        let session_ends: Vec<Option<Vec<bool>>> = calendars
            .iter()
            .zip(&bars_all)
            .map(|(cal, b)| {
                (*cal != Calendar::Always).then(|| cal.session_last_mask(&b.ts, iv.ms()))
            })
            .collect();
        let inputs = crate::portfolio::instrument_data(&bars_all, &session_ends, iv.ms());
        let stepper = Stepper::new(&engine, &inputs)?;
        let data_hash = load::data_hash(&window, &symbols)?;
        Ok(SelectSession {
            symbols,
            bars: bars_all,
            actions,
            forecast,
            engine,
            stepper,
            transform: params.order_transform(),
            params,
            periods,
            edge_mode: req.edge_mode,
            risk_weight: req.risk_weight,
            fillable: req.fillable_lookahead,
            dip: req.dip_threshold_pct,
            short_ok,
            interval_ms: iv.ms(),
            session_ends,
            data_hash,
            split,
            allocation: Vec::new(),
            benchmark: Vec::new(),
            first_close: vec![f64::NAN; req.symbols.len()],
            last_close: vec![f64::NAN; req.symbols.len()],
            reentry: false,
        })
    }

    pub fn symbols(&self) -> Vec<String> {
        self.symbols.iter().map(|s| s.to_string()).collect()
    }

    /// The edge of a long at `b` with forecasts (pH, pL, pC) and buy fraction `beta`, per-side
    /// fee `f` and risk weight `rw`.
    #[allow(clippy::too_many_arguments)]
    fn edge(mode: EdgeMode, rw: f64, f: f64, b: f64, ph: f64, pl: f64, pc: f64, beta: f64) -> f64 {
        let core = match mode {
            EdgeMode::HighLow => (ph - b) / b - rw * ((b - pl) / b).max(0.0),
            EdgeMode::High => (ph - b) / b,
            EdgeMode::Close => (pc - b) / b,
        };
        (core - 2.0 * f) * beta
    }

    /// The mirrored edge of a short at `s` with sell fraction `sigma` (seed §7): upside
    /// (S − pL)/S (`high_low`, `high`) or (S − pC)/S (`close`), downside max(0, (pH − S)/S).
    #[allow(clippy::too_many_arguments)]
    fn short_edge(
        mode: EdgeMode,
        rw: f64,
        f: f64,
        s: f64,
        ph: f64,
        pl: f64,
        pc: f64,
        sigma: f64,
    ) -> f64 {
        let core = match mode {
            EdgeMode::HighLow => (s - pl) / s - rw * ((ph - s) / s).max(0.0),
            EdgeMode::High => (s - pl) / s,
            EdgeMode::Close => (s - pc) / s,
        };
        (core - 2.0 * f) * sigma
    }

    /// Prepares the next timestamp: fills `cand` (`CAND_FIELDS` per symbol) and `state` (cash,
    /// equity, step, then `STATE_FIELDS` per symbol) and returns its bar open time, or None when
    /// the clock is done. Candidate fields: available, buy price, buy frac, sell price, sell frac,
    /// edge, p50 high, p50 low, p50 close, close of the decision bar, buy reached on the resting
    /// bar (NaN unless `fillableLookahead`), the resting bar dips (NaN unless `dipThresholdPct`),
    /// the short edge at the sell limit (NaN unless the symbol may go short). Every field but the
    /// two lookahead flags is `lag` bars old.
    pub fn next(&mut self, cand: &mut [f64], state: &mut [f64]) -> Result<Option<i64>> {
        let n = self.symbols.len();
        if cand.len() < n * CAND_FIELDS || state.len() < 3 + n * STATE_FIELDS {
            return Err(bad(
                "buffers",
                format!(
                    "need {} candidate and {} state slots",
                    n * CAND_FIELDS,
                    3 + n * STATE_FIELDS
                ),
            ));
        }
        let inputs =
            crate::portfolio::instrument_data(&self.bars, &self.session_ends, self.interval_ms);
        let lag = self.params.decision_lag;
        let th = self.params.fill_rule.thresholds();
        let (mode, rw) = (self.edge_mode, self.risk_weight);
        let Some(d) = self.stepper.decision(&inputs) else {
            return Ok(None);
        };
        let st = d.state;
        state[0] = st.cash;
        state[1] = st.equity();
        state[2] = d.step as f64;
        for k in 0..n {
            let p = &st.positions[k];
            let s = &mut state[3 + k * STATE_FIELDS..3 + (k + 1) * STATE_FIELDS];
            s[0] = p.qty;
            s[1] = p.avg_entry;
            s[2] = if p.qty != 0.0 {
                (d.step - p.opened_at) as f64
            } else {
                f64::NAN
            };
            let c = &mut cand[k * CAND_FIELDS..(k + 1) * CAND_FIELDS];
            c.fill(f64::NAN);
            c[0] = 0.0;
            let Some(i) = d.bar_index[k] else { continue };
            let Some(row) = i.checked_sub(lag) else {
                continue;
            };
            let o = orders_from_row(&self.actions[k], row, &self.transform);
            let [fh, fl, fcl] = &self.forecast[k];
            c[6] = fh[row];
            c[7] = fl[row];
            c[8] = fcl[row];
            c[9] = self.bars[k].close[row];
            if let Some(Limit {
                price,
                size: Size::Frac(f),
            }) = o.buy
            {
                c[1] = price;
                c[2] = f;
                let fee = self.engine.instruments[k].fees.maker;
                c[5] = Self::edge(mode, rw, fee, price, fh[row], fl[row], fcl[row], f);
                if self.fillable {
                    c[10] = if th.buy_reached(self.bars[k].low[i], price) {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
            if let Some(x) = self.dip {
                let b = &self.bars[k];
                c[11] = if b.low[i] <= b.close[i] * (1.0 - x) {
                    1.0
                } else {
                    0.0
                };
            }
            if let Some(Limit {
                price,
                size: Size::Frac(f),
            }) = o.sell
            {
                c[3] = price;
                c[4] = f;
                if self.short_ok[k] {
                    let fee = self.engine.instruments[k].fees.maker;
                    c[12] = Self::short_edge(mode, rw, fee, price, fh[row], fl[row], fcl[row], f);
                }
            }
            c[0] = 1.0;
        }
        Ok(Some(d.ts))
    }

    /// Fills the orders for the timestamp [`SelectSession::next`] prepared: `ORDER_FIELDS` per
    /// symbol (buy price, buy fraction, sell price, sell fraction, after-exit symbol; a
    /// non-finite price is no order). A buy spends that fraction of the cash held at the open,
    /// or, when field 4 names a symbol k, that fraction of what k's exit raises on this same
    /// bar (a same-bar re-entry, OPTIMISTIC: it assumes the exit filled first); a sell sells that
    /// fraction of the long held at the open. On a symbol that may go short, a sell from a flat
    /// or short position shorts σ × cash / (S(1 + f)) units (seed §7), and a buy on a short
    /// position covers that fraction of it.
    pub fn apply(&mut self, orders: &[f64]) -> Result<()> {
        let n = self.symbols.len();
        if orders.len() < n * ORDER_FIELDS {
            return Err(bad("orders", format!("need {} slots", n * ORDER_FIELDS)));
        }
        let cash = self.stepper.state().cash;
        let mut out = vec![Orders::default(); n];
        for (k, o) in out.iter_mut().enumerate() {
            let x = &orders[k * ORDER_FIELDS..(k + 1) * ORDER_FIELDS];
            let frac = |v: f64, what: &str| -> Result<f64> {
                if v.is_finite() && (0.0..=1.0).contains(&v) {
                    Ok(v)
                } else {
                    Err(bad(
                        format!("orders {}", self.symbols[k]),
                        format!("{what} fraction {v} is not in [0, 1]"),
                    ))
                }
            };
            let q = self.stepper.state().positions[k].qty;
            let short = self.short_ok[k];
            if x[0].is_finite() {
                let f = frac(x[1], "buy")?;
                let after = x[4];
                let after_exit = if after.is_finite() {
                    if !(after >= 0.0 && after.fract() == 0.0 && (after as usize) < n) {
                        return Err(bad(
                            format!("orders {}", self.symbols[k]),
                            format!("after-exit symbol {after} is not an index in [0, {n})"),
                        ));
                    }
                    self.reentry = true;
                    Some(after as u32)
                } else {
                    None
                };
                o.buy = Some(Limit {
                    price: x[0],
                    // A contingent buy spends a fraction of the exit's proceeds, never a cover.
                    size: if after_exit.is_none() && short && q < 0.0 {
                        Size::Qty(f * -q)
                    } else {
                        Size::Frac(f)
                    },
                });
                o.after_exit = after_exit;
            }
            if x[2].is_finite() {
                let f = frac(x[3], "sell")?;
                let unit = x[2] * (1.0 + self.engine.instruments[k].fees.maker);
                o.sell = Some(Limit {
                    price: x[2],
                    size: if short && q <= 0.0 {
                        Size::Qty(if unit > 0.0 {
                            f * cash.max(0.0) / unit
                        } else {
                            0.0
                        })
                    } else {
                        Size::Frac(f)
                    },
                });
            }
        }
        self.stepper.apply(&self.engine, &out)?;
        // What the step left: each position's share of equity, and the benchmark's mark.
        let st = self.stepper.state();
        let eq = st.equity();
        self.allocation.extend(st.positions.iter().map(|p| {
            if eq != 0.0 {
                p.qty * p.mark / eq
            } else {
                0.0
            }
        }));
        let (mut sum, mut m) = (0.0, 0usize);
        for k in 0..n {
            let b = &self.bars[k];
            if let Some(i) = self.stepper.bar_index()[k] {
                if self.first_close[k].is_nan() {
                    self.first_close[k] = b.close[i];
                }
                self.last_close[k] = b.close[i];
            }
            if self.first_close[k].is_finite() {
                sum += self.last_close[k] / self.first_close[k];
                m += 1;
            }
        }
        let start = self.params.starting_cash;
        self.benchmark
            .push(if m > 0 { start * sum / m as f64 } else { start });
        Ok(())
    }

    /// The result so far (normally after the last step). `selector` describes the selection
    /// rules; `optimistic` adds the selector's own OPTIMISTIC reason to the label.
    pub fn finish(self, selector: &str, optimistic: Option<&str>) -> SelectReport {
        let SelectSession {
            engine,
            stepper,
            params,
            periods,
            symbols,
            data_hash,
            split,
            fillable,
            dip,
            short_ok,
            allocation,
            benchmark,
            reentry,
            ..
        } = self;
        let r = stepper.finish(&engine);
        let mut label = params.describe();
        // Per-symbol fees (a venue's zero-fee pairs) are stated, zero ones as a caution.
        let own: Vec<String> = engine
            .instruments
            .iter()
            .filter(|i| i.fees.maker != params.maker_fee || i.fees.taker != params.taker_fee)
            .map(|i| {
                format!(
                    "{} maker {}% / taker {}%",
                    i.symbol,
                    i.fees.maker * 100.0,
                    i.fees.taker * 100.0
                )
            })
            .collect();
        if !own.is_empty() {
            label
                .text
                .push_str(&format!(" · fees per symbol: {}", own.join(", ")));
        }
        for i in &engine.instruments {
            if i.fees.maker == 0.0 && params.maker_fee != 0.0 {
                label.cautions.push(format!(
                    "zero maker fee on {} (configured per symbol)",
                    i.symbol
                ));
            }
        }
        let shorts: Vec<&str> = symbols
            .iter()
            .zip(&short_ok)
            .filter(|(_, ok)| **ok)
            .map(|(s, _)| s.as_str())
            .collect();
        if !shorts.is_empty() {
            let rate = engine.params.borrow_rate;
            label.text.push_str(&format!(
                " · shorts: {} (borrow {}%/yr)",
                shorts.join(", "),
                rate * 100.0
            ));
            if rate == 0.0 {
                label
                    .cautions
                    .push("shorts borrow at 0 %/yr (borrowRate 0)".into());
            }
        }
        let mut reasons: Vec<String> = Vec::new();
        if fillable {
            reasons.push("fillable lookahead: candidates filtered by the bar they rest on".into());
        }
        if let Some(x) = dip {
            reasons.push(format!(
                "dip filter {x}: looks at the low and close of the bar it trades"
            ));
        }
        if reentry {
            reasons.push(
                "same-bar re-entry: an entry spends an exit's proceeds on the exit's bar, \
                 assuming the exit filled first"
                    .into(),
            );
        }
        if let Some(o) = optimistic {
            reasons.push(o.to_string());
        }
        for w in reasons {
            label.optimistic = true;
            label.text.push_str(&format!(" · OPTIMISTIC ({w})"));
            label.warnings.push(w);
        }
        SelectReport {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            label,
            selector: selector.to_string(),
            params,
            periods,
            metrics: r.metrics,
            instruments: r.instruments,
            final_cash: r.final_state.cash,
            liquidation_value: r.liquidation_value,
            financing: r.financing,
            steps: r.ts.len() as u64,
            first: r.ts.first().copied().unwrap_or(0),
            last: r.ts.last().copied().unwrap_or(0),
            curves: SelectCurves {
                ts: r.ts,
                equity: r.equity,
                benchmark,
                allocation,
            },
            data_hash,
            split,
        }
    }
}

/// One symbol's window bars (session bars for stocks), calendar and p50 forecasts.
struct Loaded {
    symbol: Symbol,
    bars: Bars,
    calendar: Calendar,
    forecast: [Vec<f64>; 3],
}

fn load_symbol(
    s: &str,
    window: &Window,
    iv: tradelab_core::Interval,
    cache: &tradelab_features::forecast::ForecastCache,
    forecaster: &dyn tradelab_features::forecast::Forecaster,
    req: &SelectRequest,
    quantiles: &[f64],
) -> Result<Loaded> {
    // One read per symbol: the window's bars and, for the forecasts, every stored bar.
    let sym = Symbol::parse(s)?;
    let stored = window.store().read(&sym, iv)?;
    let bars = stored.between(window.from, window.to);
    if bars.is_empty() {
        return Err(bad(
            "window",
            format!(
                "no {sym} {iv} bars in the requested window ({} bars stored)",
                stored.len()
            ),
        ));
    }
    let cal = Calendar::for_symbol(&sym)?;
    // Stocks: only session bars are traded and marked (the clock and P count them).
    let bars = if cal == Calendar::Always {
        bars
    } else {
        let b = crate::portfolio::session_bars(cal, bars, iv.ms());
        if b.is_empty() {
            return Err(bad(
                "window",
                format!("no {sym} bars inside its session ({})", cal.label()),
            ));
        }
        b
    };
    // Forecasts are computed on every stored bar (causal), then cut to the window.
    let (frame, _) = cache
        .load_or_build(&sym, iv, &stored, forecaster, &[req.horizon], quantiles)
        .map_err(|e| bad(format!("forecast {sym}"), e.to_string()))?;
    // Row of each window bar in the stored bars (a stock's window keeps session bars only).
    let rows: Vec<usize> = bars
        .ts
        .iter()
        .map(|t| {
            stored.ts.binary_search(t).map_err(|_| {
                bad(
                    format!("forecast {sym}"),
                    format!("bar {t} is not in the store"),
                )
            })
        })
        .collect::<Result<_>>()?;
    let col = |t: &str| -> Result<Vec<f64>> {
        let name = tradelab_features::forecast::column_name(t, 0.5, req.horizon);
        let v = frame
            .values
            .get(&name)
            .ok_or_else(|| bad(format!("forecast {sym}"), format!("no column {name}")))?;
        Ok(rows.iter().map(|&r| v[r]).collect())
    };
    let f = [col("high")?, col("low")?, col("close")?];
    if f[0].iter().all(|x| !x.is_finite()) {
        return Err(bad(
            format!("forecast {sym}"),
            format!("{} issued no forecast over the window", req.forecast_model),
        ));
    }
    Ok(Loaded {
        symbol: sym,
        bars,
        calendar: cal,
        forecast: f,
    })
}

/// A `fees` key names a symbol (`BTC/FDUSD`) or every symbol of a quote (`*/FDUSD`).
fn fee_key_matches(key: &str, symbol: &str) -> bool {
    match key.strip_prefix("*/") {
        Some(quote) => symbol.split_once('/').is_some_and(|(_, q)| q == quote),
        None => key == symbol,
    }
}

/// A symbol's own fees: its exact key first, then its quote's `*/QUOTE`.
fn fees_for(
    m: &std::collections::BTreeMap<String, tradelab_sim::model::Fees>,
    symbol: &str,
) -> Option<tradelab_sim::model::Fees> {
    m.get(symbol).copied().or_else(|| {
        m.iter()
            .find(|(k, _)| k.starts_with("*/") && fee_key_matches(k, symbol))
            .map(|(_, f)| *f)
    })
}

/// Per symbol: whether `shorts` lets it go short (every symbol when no list is given).
fn short_symbols(shorts: Option<&ShortSettings>, symbols: &[Symbol]) -> Result<Vec<bool>> {
    let Some(sh) = shorts else {
        return Ok(vec![false; symbols.len()]);
    };
    if !(sh.borrow_rate.is_finite() && (0.0..10.0).contains(&sh.borrow_rate)) {
        return Err(bad(
            "shorts.borrowRate",
            format!("{} must be a finite annual rate in [0, 10)", sh.borrow_rate),
        ));
    }
    let Some(list) = &sh.symbols else {
        return Ok(vec![true; symbols.len()]);
    };
    if let Some(u) = list
        .iter()
        .find(|x| !symbols.iter().any(|s| s.to_string() == **x))
    {
        return Err(bad(
            "shorts.symbols",
            format!("{u} is not one of the symbols"),
        ));
    }
    Ok(symbols
        .iter()
        .map(|s| list.iter().any(|x| *x == s.to_string()))
        .collect())
}

/// One row of a selector sweep, as the TS sweep reports it (its run's own numbers).
#[derive(Clone, Debug, PartialEq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SweptRow {
    #[ts(type = "number")]
    pub index: u64,
    /// The run's label says OPTIMISTIC (lag 0, intrabar cycles, fillable lookahead).
    pub optimistic: bool,
    pub sortino: f64,
    pub sharpe: f64,
    pub params: SimParams,
}

/// The best honest row of a selector sweep (the same rule as every sweep: highest Sortino among
/// non-optimistic rows) and its deflated Sharpe / PBO over the honest rows, from each row's
/// equity curve (`curves[i]` = (start equity, equity per bar) of `rows[i]`).
pub fn sweep_summary(
    rows: &[SweptRow],
    curves: &[(f64, Vec<f64>)],
    periods_per_year: f64,
) -> Result<(Option<crate::sweep::BestRow>, Option<crate::sweep::Overfit>)> {
    if rows.len() != curves.len() {
        return Err(bad(
            "curves",
            format!("{} curves for {} rows", curves.len(), rows.len()),
        ));
    }
    let ranked: Vec<crate::sweep::Ranked<'_>> = rows
        .iter()
        .map(|r| crate::sweep::Ranked {
            index: r.index,
            optimistic: r.optimistic,
            sortino: r.sortino,
            params: &r.params,
        })
        .collect();
    let best = crate::sweep::best_of(&ranked);
    let Some(b) = &best else {
        return Ok((None, None));
    };
    let honest: Vec<(u64, f64)> = rows
        .iter()
        .filter(|r| !r.optimistic && !r.sortino.is_nan())
        .map(|r| (r.index, r.sharpe))
        .collect();
    let pos: std::collections::HashMap<u64, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.index, i)).collect();
    let sim = |i: u64| -> Result<(f64, Vec<f64>)> {
        let p = *pos
            .get(&i)
            .ok_or_else(|| bad("rows", format!("no row {i}")))?;
        Ok(curves[p].clone())
    };
    let overfit = crate::sweep::overfit_of(&honest, b.index, periods_per_year, &sim)?;
    Ok((best, overfit))
}
