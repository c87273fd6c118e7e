//! Paper trading's engine side: the engine's own `step`, advanced one live bar at a time.
//!
//! A live loop (TS, `ts/src/live`) pushes each newly closed bar, asks for the orders that rest on
//! the next bar ([`PaperSession::decide`]), journals and risk-checks them, and when that bar has
//! closed fills them with [`PaperSession::fill`], which is [`Engine::step`] on that one bar: the
//! same fold `simulate` runs over stored bars, so a paper run over the bars a backtest reads makes
//! the same trades bit for bit (no second simulator). Orders live for one bar, as in the engine.
//!
//! The rule strategy's action row for bar `t` is computed from the bars up to `t` only (the
//! strategies are causal, and the session hands them nothing later), then turned into orders by
//! the same transform as the backtest (`orders_from_row`, lag rows back).
//!
//! The state ([`State`]) serialises: a restarted loop restores it from the journal and replays
//! the fetched bars up to `state.bar` without stepping them again.
use crate::error::{BacktestError, Result};
use crate::single::window_params;
use serde::{Deserialize, Serialize};
use tradelab_calendar::Calendar;
use tradelab_core::{Bars, Symbol};
use tradelab_sim::engine::{orders_from_row, BarInput, Engine, Orders, State};
use tradelab_sim::{Side, SimLabel, SimParams, Strategy, Trade};

/// What a paper session runs: one symbol, one order source (a rule strategy, or action rows
/// decided outside, e.g. by a policy checkpoint), the simulator's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaperRequest {
    pub symbol: String,
    /// Bar length in ms (every pushed bar is checked against it).
    #[ts(type = "number")]
    pub interval_ms: i64,
    /// A rule strategy, decided here from the pushed bars ([`PaperSession::decide`]).
    #[serde(default)]
    #[ts(optional)]
    pub strategy: Option<Strategy>,
    /// Instead of a strategy: the label of an outside decider (a policy checkpoint) whose action
    /// rows come in through [`PaperSession::decide_row`].
    #[serde(default)]
    #[ts(optional)]
    pub actions_source: Option<String>,
    /// Missing fields take the honest defaults (as `tradelab backtest`).
    #[serde(default)]
    #[ts(type = "Partial<SimParams>", optional)]
    pub params: Option<SimParams>,
}

/// The session's view for a status line or a report.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct PaperStatus {
    pub symbol: String,
    pub label: SimLabel,
    pub strategy_label: String,
    /// Bars pushed / bars stepped (filled).
    #[ts(type = "number")]
    pub bars: u64,
    #[ts(type = "number")]
    pub stepped: u64,
    /// Open time of the last stepped bar (null before the first).
    #[ts(type = "number | null")]
    pub last_stepped_ts: Option<i64>,
    pub cash: f64,
    pub position: f64,
    pub equity: f64,
    /// Equity after paying the taker fee to close the position at its mark.
    pub liquidation_value: f64,
}

/// One decided action row (a policy's output for one bar; no price: no order on that side).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionRow {
    /// Open time of the bar the row was decided on (epoch ms).
    #[ts(type = "number")]
    pub ts: i64,
    pub buy_price: Option<f64>,
    pub sell_price: Option<f64>,
    pub buy_frac: f64,
    pub sell_frac: f64,
}

enum Source {
    Rule(Strategy),
    /// Rows decided outside; the label names the decider.
    Rows(String),
}

pub struct PaperSession {
    symbol: Symbol,
    engine: Engine,
    params: SimParams,
    source: Source,
    interval_ms: i64,
    bars: Bars,
    st: State,
}

fn bad(field: impl Into<String>, reason: impl Into<String>) -> BacktestError {
    BacktestError::input(field, reason)
}

impl PaperSession {
    /// A new session, or one resumed from a journaled `state` (its `bar` counts the bars
    /// already stepped; push the same bars again and they are not stepped twice).
    pub fn open(req: &PaperRequest, state: Option<State>) -> Result<PaperSession> {
        let symbol = Symbol::parse(&req.symbol)?;
        let cal = Calendar::for_symbol(&symbol)?;
        if cal != Calendar::Always {
            return Err(bad(
                "symbol",
                format!(
                    "{symbol} trades on {} sessions: paper trading runs 24/7 instruments only so far",
                    cal.label()
                ),
            ));
        }
        if req.interval_ms <= 0 {
            return Err(bad(
                "intervalMs",
                format!("{} must be positive", req.interval_ms),
            ));
        }
        let (params, _) = window_params(
            &req.params.clone().unwrap_or_default(),
            cal,
            req.interval_ms,
        )?;
        if params.decision_lag == 0 {
            return Err(bad(
                "params.decisionLag",
                "lag 0 fills on the bar it was decided from: a live loop cannot trade a bar that has already closed (use 1)",
            ));
        }
        if params.max_round_trips_per_bar > 0 {
            return Err(bad(
                "params.maxRoundTripsPerBar",
                "intrabar round trips are an optimistic backtest mode; a live venue cannot replay them",
            ));
        }
        let source = match (&req.strategy, &req.actions_source) {
            (Some(st), None) => {
                st.validate()?;
                Source::Rule(st.clone())
            }
            (None, Some(label)) => Source::Rows(label.clone()),
            _ => {
                return Err(bad(
                    "strategy",
                    "give a rule strategy or an actions source (a policy), exactly one",
                ))
            }
        };
        let engine = Engine::new(
            params.engine_params(),
            vec![params.instrument(symbol.as_str())],
        )?;
        let st = match state {
            Some(s) => {
                if s.positions.len() != 1 || s.stats.len() != 1 {
                    return Err(bad(
                        "state",
                        format!(
                            "the journaled state has {} instruments, this session trades 1",
                            s.positions.len()
                        ),
                    ));
                }
                s
            }
            None => engine.initial_state(),
        };
        Ok(PaperSession {
            symbol,
            engine,
            params,
            source,
            interval_ms: req.interval_ms,
            bars: Bars::with_capacity(0),
            st,
        })
    }

    pub fn symbol(&self) -> String {
        self.symbol.to_string()
    }

    pub fn params(&self) -> &SimParams {
        &self.params
    }

    pub fn state(&self) -> &State {
        &self.st
    }

    /// Bars pushed so far.
    pub fn bars(&self) -> usize {
        self.bars.len()
    }

    /// Open time of bar `i` (pushed), if any.
    pub fn bar_ts(&self, i: usize) -> Option<i64> {
        self.bars.ts.get(i).copied()
    }

    /// Appends closed bars. Open times must increase and lie on the interval's grid after the
    /// last bar (a gap is allowed: the engine steps the bars it has, as a backtest does).
    pub fn push(
        &mut self,
        ts: &[i64],
        open: &[f64],
        high: &[f64],
        low: &[f64],
        close: &[f64],
        volume: &[f64],
    ) -> Result<()> {
        let n = ts.len();
        for (what, len) in [
            ("open", open.len()),
            ("high", high.len()),
            ("low", low.len()),
            ("close", close.len()),
            ("volume", volume.len()),
        ] {
            if len != n {
                return Err(bad("bars", format!("{what} has {len} values, ts has {n}")));
            }
        }
        let mut last = self.bars.ts.last().copied();
        for i in 0..n {
            let t = ts[i];
            let row = |reason: String| bad(format!("bar {} ({t})", self.bars.len() + i), reason);
            if let Some(l) = last {
                if t <= l {
                    return Err(row(format!("open time is not after the last bar's ({l})")));
                }
                if (t - l) % self.interval_ms != 0 {
                    return Err(row(format!(
                        "open time is off the {} ms grid of the last bar ({l})",
                        self.interval_ms
                    )));
                }
            }
            let (o, h, l, c, v) = (open[i], high[i], low[i], close[i], volume[i]);
            let prices_ok = [o, h, l, c].iter().all(|p| p.is_finite() && *p > 0.0);
            if !(prices_ok && v.is_finite() && v >= 0.0) {
                return Err(row(format!(
                    "prices must be finite and positive, volume finite and >= 0 (o {o} h {h} l {l} c {c} v {v})"
                )));
            }
            if h < o.max(c) || l > o.min(c) {
                return Err(row(format!(
                    "high {h} / low {l} do not contain open {o} and close {c}"
                )));
            }
            last = Some(t);
        }
        for i in 0..n {
            self.bars.ts.push(ts[i]);
            self.bars.open.push(open[i]);
            self.bars.high.push(high[i]);
            self.bars.low.push(low[i]);
            self.bars.close.push(close[i]);
            self.bars.volume.push(volume[i]);
        }
        Ok(())
    }

    /// Bars pushed but not yet stepped.
    pub fn pending(&self) -> usize {
        self.bars.len().saturating_sub(self.st.bar)
    }

    /// The orders resting on the next bar to step (index `state.bar`): the action row `lag`
    /// bars back, computed from the bars up to that row only. Needs that row's bar pushed.
    pub fn decide(&self) -> Result<Orders> {
        let next = self.st.bar;
        let Some(row) = next.checked_sub(self.params.decision_lag) else {
            return Ok(Orders::default());
        };
        if row >= self.bars.len() {
            return Err(bad(
                "decide",
                format!(
                    "bar {row} (the decision bar of bar {next}) has not been pushed ({} bars)",
                    self.bars.len()
                ),
            ));
        }
        let Source::Rule(strategy) = &self.source else {
            return Err(bad(
                "decide",
                "this session's orders come from action rows (decide_row), not a rule strategy",
            ));
        };
        let seen = self.bars.slice(0..row + 1);
        let actions = strategy.actions(&seen)?;
        Ok(orders_from_row(
            &actions,
            row,
            &self.params.order_transform(),
        ))
    }

    /// The pushed bar whose action row decides the next bar to step (`state.bar - lag`); None
    /// while the first bars have no decision row.
    pub fn decision_row(&self) -> Option<usize> {
        self.st.bar.checked_sub(self.params.decision_lag)
    }

    /// The orders resting on the next bar to step, from an action row decided outside (a policy)
    /// for the decision bar: the same transform as a backtest of an actions file.
    pub fn decide_row(&self, row: &ActionRow) -> Result<Orders> {
        let Some(r) = self.decision_row() else {
            return Ok(Orders::default());
        };
        let want = self.bar_ts(r).ok_or_else(|| {
            bad(
                "decide",
                format!(
                    "bar {r} (the decision bar) has not been pushed ({} bars)",
                    self.bars.len()
                ),
            )
        })?;
        if row.ts != want {
            return Err(bad(
                "actionRow.ts",
                format!("{} is not the decision bar's open time {want}", row.ts),
            ));
        }
        let mut a = tradelab_sim::Actions::empty(1);
        for (name, v) in [("buyFrac", row.buy_frac), ("sellFrac", row.sell_frac)] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(bad(
                    format!("actionRow.{name}"),
                    format!("{v} is not in [0, 1]"),
                ));
            }
        }
        for (name, p) in [("buyPrice", row.buy_price), ("sellPrice", row.sell_price)] {
            if let Some(p) = p {
                if !(p.is_finite() && p > 0.0) {
                    return Err(bad(
                        format!("actionRow.{name}"),
                        format!("{p} is not a positive price"),
                    ));
                }
            }
        }
        a.buy_price[0] = row.buy_price.unwrap_or(f64::NAN);
        a.sell_price[0] = row.sell_price.unwrap_or(f64::NAN);
        a.buy_frac[0] = row.buy_frac;
        a.sell_frac[0] = row.sell_frac;
        Ok(orders_from_row(&a, 0, &self.params.order_transform()))
    }

    /// Steps the next pushed bar with `orders` (what the venue had resting on it) and returns
    /// its fills. The engine's `step`, exactly as `simulate` calls it.
    pub fn fill(&mut self, orders: &Orders) -> Result<Vec<Trade>> {
        let i = self.st.bar;
        if i >= self.bars.len() {
            return Err(bad(
                "fill",
                format!(
                    "bar {i} has not closed yet ({} bars pushed)",
                    self.bars.len()
                ),
            ));
        }
        let b = &self.bars;
        let bar = BarInput::new(
            b.ts[i],
            b.open[i],
            b.high[i],
            b.low[i],
            b.close[i],
            b.volume[i],
        );
        let bars = [Some(bar)];
        let orders = [*orders];
        self.engine.check_step(&bars, &orders)?;
        let mut fills = Vec::new();
        self.engine.step(&mut self.st, &bars, &orders, &mut fills);
        Ok(fills.into_iter().map(|f| f.trade).collect())
    }

    /// Live trading: books a venue's fill on the next bar to step (index `state.bar`, pushed),
    /// by the engine's accounting. Then [`PaperSession::fill`] with no orders closes the bar.
    pub fn book_venue_fill(&mut self, side: Side, price: f64, qty: f64, fee: f64) -> Result<Trade> {
        let i = self.st.bar;
        let Some(ts) = self.bar_ts(i) else {
            return Err(bad(
                "venue fill",
                format!(
                    "bar {i} has not closed yet ({} bars pushed)",
                    self.bars.len()
                ),
            ));
        };
        let f = self
            .engine
            .book_venue_fill(&mut self.st, 0, ts, side, price, qty, fee)?;
        Ok(f.trade)
    }

    pub fn status(&self) -> PaperStatus {
        let p = &self.st.positions[0];
        let taker = self.engine.instruments[0].fees.taker;
        PaperStatus {
            symbol: self.symbol.to_string(),
            label: self.params.describe(),
            strategy_label: match &self.source {
                Source::Rule(s) => s.label(),
                Source::Rows(label) => label.clone(),
            },
            bars: self.bars.len() as u64,
            stepped: self.st.bar as u64,
            last_stepped_ts: self.st.bar.checked_sub(1).and_then(|i| self.bar_ts(i)),
            cash: self.st.cash,
            position: p.qty,
            equity: self.st.equity(),
            liquidation_value: self.st.cash + p.qty * p.mark - (p.qty * p.mark).abs() * taker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tradelab_sim::simulate;

    fn bars(n: usize) -> Bars {
        let mut b = Bars::with_capacity(n);
        let mut p = 100.0;
        for i in 0..n {
            // A deterministic wiggle that crosses EMAs many times.
            let step = ((i as f64) * 0.7).sin() * 2.0 + ((i as f64) * 0.13).cos();
            let o = p;
            p = (p + step).max(1.0);
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.high.push(o.max(p) * 1.01);
            b.low.push(o.min(p) * 0.99);
            b.close.push(p);
            b.volume.push(1000.0);
        }
        b
    }

    fn push_bars(s: &mut PaperSession, b: &Bars) {
        s.push(&b.ts, &b.open, &b.high, &b.low, &b.close, &b.volume)
            .unwrap();
    }

    fn req() -> PaperRequest {
        PaperRequest {
            symbol: "BTC/USDT".into(),
            interval_ms: 3_600_000,
            strategy: Some(Strategy::EmaCross {
                fast: 3,
                slow: 8,
                slack: 0.0,
            }),
            actions_source: None,
            params: None,
        }
    }

    /// Action rows decided outside (as a policy's decider sends them) trade exactly what the
    /// same rows do as a rule strategy; a row for the wrong bar or out-of-range fraction is refused.
    #[test]
    fn decided_rows_trade_like_the_rule_that_made_them() {
        let b = bars(200);
        let r = req();
        let acts = r.strategy.as_ref().unwrap().actions(&b).unwrap();
        let rows_req = PaperRequest {
            strategy: None,
            actions_source: Some("rows of ema 3/8".into()),
            ..r.clone()
        };
        let mut s = PaperSession::open(&rows_req, None).unwrap();
        let opt = |x: f64| x.is_finite().then_some(x);
        let mut trades = Vec::new();
        for i in 0..b.len() {
            let o = match s.decision_row() {
                Some(k) => s
                    .decide_row(&ActionRow {
                        ts: b.ts[k],
                        buy_price: opt(acts.buy_price[k]),
                        sell_price: opt(acts.sell_price[k]),
                        buy_frac: acts.buy_frac[k],
                        sell_frac: acts.sell_frac[k],
                    })
                    .unwrap(),
                None => Orders::default(),
            };
            push_bars(&mut s, &b.slice(i..i + 1));
            trades.extend(s.fill(&o).unwrap());
        }
        let rule = paper(&b, false);
        assert!(rule.len() > 10);
        assert_eq!(
            tradelab_sim::trade_sha256(&trades),
            tradelab_sim::trade_sha256(&rule)
        );
        assert!(
            s.decide().is_err(),
            "a rows session has no rule to decide by"
        );
        let k = s.decision_row().unwrap();
        let row = ActionRow {
            ts: b.ts[k],
            buy_price: Some(100.0),
            sell_price: None,
            buy_frac: 0.5,
            sell_frac: 0.0,
        };
        let e = s
            .decide_row(&ActionRow {
                ts: b.ts[k] - 1,
                ..row
            })
            .unwrap_err();
        assert!(e.to_string().contains("actionRow.ts"), "{e}");
        let e = s
            .decide_row(&ActionRow {
                buy_frac: 1.5,
                ..row
            })
            .unwrap_err();
        assert!(e.to_string().contains("actionRow.buyFrac"), "{e}");
        let both = PaperRequest {
            actions_source: Some("x".into()),
            ..r
        };
        assert!(PaperSession::open(&both, None).is_err());
    }

    /// Drives a session bar by bar, optionally persisting and restoring the state before each bar.
    fn paper(b: &Bars, restore: bool) -> Vec<Trade> {
        let mut s = PaperSession::open(&req(), None).unwrap();
        let mut trades = Vec::new();
        for i in 0..b.len() {
            if restore {
                let json = serde_json::to_string(s.state()).unwrap();
                let mut r =
                    PaperSession::open(&req(), Some(serde_json::from_str(&json).unwrap())).unwrap();
                push_bars(&mut r, &b.slice(0..i));
                s = r;
            }
            let o = s.decide().unwrap();
            push_bars(&mut s, &b.slice(i..i + 1));
            trades.extend(s.fill(&o).unwrap());
        }
        trades
    }

    #[test]
    fn paper_bar_by_bar_equals_simulate() {
        let b = bars(300);
        let r = req();
        let (params, _) =
            window_params(&SimParams::default(), Calendar::Always, 3_600_000).unwrap();
        let sim = simulate(
            &b,
            &r.strategy.as_ref().unwrap().actions(&b).unwrap(),
            &params,
        )
        .unwrap();
        assert!(sim.trades.len() > 10, "{} trades", sim.trades.len());
        let got = paper(&b, false);
        assert_eq!(
            tradelab_sim::trade_sha256(&got),
            tradelab_sim::trade_sha256(&sim.trades)
        );
        assert_eq!(got, sim.trades);
        // A restore before every bar changes nothing.
        assert_eq!(paper(&b, true), sim.trades);
    }

    #[test]
    fn venue_fills_are_booked_by_the_engines_accounting() {
        let b = bars(3);
        let mut s = PaperSession::open(&req(), None).unwrap();
        push_bars(&mut s, &b);
        s.fill(&Orders::default()).unwrap();
        let t = s.book_venue_fill(Side::Buy, 100.0, 2.0, 0.2).unwrap();
        assert_eq!((t.bar, t.qty, t.cash_delta), (1, 2.0, -200.2));
        s.fill(&Orders::default()).unwrap();
        assert_eq!(s.state().cash, 10_000.0 - 200.2);
        assert_eq!(s.state().positions[0].qty, 2.0);
        assert_eq!(s.state().positions[0].mark, b.close[1]);
        let t = s.book_venue_fill(Side::Sell, 110.0, 2.0, 0.22).unwrap();
        assert_eq!(t.cash_delta, 220.0 - 0.22);
        s.fill(&Orders::default()).unwrap();
        assert_eq!(s.state().positions[0].qty, 0.0);
        assert_eq!(s.state().stats[0].round_trips, 1.0);
        assert!(s.book_venue_fill(Side::Buy, 100.0, 1.0, 0.0).is_err()); // bar 3 not pushed
        assert!(s.book_venue_fill(Side::Buy, f64::NAN, 1.0, 0.0).is_err());
    }

    #[test]
    fn refuses_lag_zero_future_bars_and_bad_bars() {
        let mut r = req();
        r.params = Some(SimParams {
            decision_lag: 0,
            ..Default::default()
        });
        let e = PaperSession::open(&r, None).err().unwrap().to_string();
        assert!(e.contains("decisionLag"), "{e}");
        let mut s = PaperSession::open(&req(), None).unwrap();
        let e = s.fill(&Orders::default()).unwrap_err().to_string();
        assert!(e.contains("has not closed"), "{e}");
        s.push(&[0], &[1.0], &[2.0], &[0.5], &[1.5], &[1.0])
            .unwrap();
        let e = s
            .push(&[0], &[1.0], &[2.0], &[0.5], &[1.5], &[1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not after"), "{e}");
        let e = s
            .push(&[1_000], &[1.0], &[2.0], &[0.5], &[1.5], &[1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("grid"), "{e}");
        let e = s
            .push(&[3_600_000], &[f64::NAN], &[2.0], &[0.5], &[1.5], &[1.0])
            .unwrap_err()
            .to_string();
        assert!(e.contains("finite"), "{e}");
        assert_eq!(s.bars(), 1);
    }
}
