//! `Engine::step`: one timestamp of the contract in `engine/mod.rs`. This file is the
//! specification; `reference::simulate` is a fold over it and the kernel is its twin.
use super::{InstrumentKind, InstrumentSpec, Orders, Size, State};
use crate::cycles::intrabar_cycles;
use crate::model::{fill, financing, funding, volume};
use crate::num::{fmax, fmin};
use crate::reference::{Side, Trade, TradeReason, DUST_BUDGET};
use crate::{FillRule, SimError};
use serde::{Deserialize, Serialize};
use smallvec::{smallvec, SmallVec};

/// A per-step array over instruments, on the stack for portfolios of up to 16.
type Scratch<T> = SmallVec<[T; 16]>;

/// One instrument's closed bar at the step's timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BarInput {
    pub ts: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    /// Inside the instrument's session: orders may fill (false: marked only).
    pub tradable: bool,
    /// The session's last bar (end-of-day close applies here).
    pub session_end: bool,
    /// Funding rate settling at this bar's close (perpetuals).
    pub funding_rate: Option<f64>,
    /// Mark price at this bar's close, when a mark series is stored (funding uses it).
    pub mark: Option<f64>,
}

impl BarInput {
    pub fn new(ts: i64, open: f64, high: f64, low: f64, close: f64, volume: f64) -> Self {
        BarInput {
            ts,
            open,
            high,
            low,
            close,
            volume,
            tradable: true,
            session_end: false,
            funding_rate: None,
            mark: None,
        }
    }
}

/// Account-level parameters of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct EngineParams {
    pub fill_rule: FillRule,
    pub max_hold_bars: Option<usize>,
    /// Optimistic intrabar cycles (long-only positions only).
    pub max_round_trips_per_bar: u32,
    /// Gross exposure cap as a multiple of equity; 1 = no borrowing. Buying power at the open is
    /// cash + (leverage − 1) × equity.
    pub leverage: f64,
    /// Liquidation when equity at the bar's adverse prices falls below this fraction of gross
    /// exposure at those prices.
    pub maintenance_margin: f64,
    /// Annual interest on negative cash.
    pub margin_rate: f64,
    /// Annual borrow cost of spot shorts (fraction of notional).
    pub borrow_rate: f64,
    pub interval_ms: i64,
    pub starting_cash: f64,
    /// Periods per year for annualisation, from the instruments' calendar (None: 24/7, i.e.
    /// 365 days of `interval_ms` bars).
    pub periods_per_year: Option<f64>,
}

impl Default for EngineParams {
    fn default() -> Self {
        EngineParams {
            fill_rule: FillRule::honest_default(),
            max_hold_bars: None,
            max_round_trips_per_bar: 0,
            leverage: 1.0,
            maintenance_margin: 0.05,
            margin_rate: 0.0,
            borrow_rate: 0.0,
            interval_ms: 3_600_000,
            starting_cash: 10_000.0,
            periods_per_year: None,
        }
    }
}

/// A fill, tagged with the instrument it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Fill {
    pub instrument: usize,
    #[serde(flatten)]
    pub trade: Trade,
}

impl Fill {
    pub fn new(instrument: usize, trade: Trade) -> Self {
        Fill { instrument, trade }
    }
}

/// The engine: instruments and account parameters, fixed for a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Engine {
    pub params: EngineParams,
    pub instruments: Vec<InstrumentSpec>,
}

impl Engine {
    pub fn new(params: EngineParams, instruments: Vec<InstrumentSpec>) -> Result<Self, SimError> {
        let p = &params;
        if !(p.leverage.is_finite() && p.leverage >= 1.0) {
            return Err(SimError::param(
                "leverage",
                p.leverage,
                "must be finite and >= 1",
            ));
        }
        if !(p.maintenance_margin.is_finite() && (0.0..1.0).contains(&p.maintenance_margin)) {
            return Err(SimError::param(
                "maintenanceMargin",
                p.maintenance_margin,
                "must be in [0, 1)",
            ));
        }
        for (name, v) in [("marginRate", p.margin_rate), ("borrowRate", p.borrow_rate)] {
            if !(v.is_finite() && (0.0..10.0).contains(&v)) {
                return Err(SimError::param(
                    name,
                    v,
                    "must be a finite annual rate in [0, 10)",
                ));
            }
        }
        if !(p.starting_cash > 0.0 && p.starting_cash <= 1e15) {
            return Err(SimError::param(
                "startingCash",
                p.starting_cash,
                "must be in (0, 1e15]",
            ));
        }
        if p.interval_ms <= 0 {
            return Err(SimError::param("intervalMs", p.interval_ms, "must be > 0"));
        }
        if p.max_hold_bars == Some(0) {
            return Err(SimError::param(
                "maxHoldBars",
                0,
                "must be >= 1 (or absent)",
            ));
        }
        if let FillRule::Cross { buffer } = p.fill_rule {
            if !(buffer.is_finite() && (0.0..1.0).contains(&buffer)) {
                return Err(SimError::param(
                    "fillRule.buffer",
                    buffer,
                    "must be finite and in [0, 1)",
                ));
            }
        }
        if instruments.is_empty() {
            return Err(SimError::InvalidStrategy(
                "a portfolio needs at least one instrument".into(),
            ));
        }
        for s in &instruments {
            for (name, v) in [("fees.maker", s.fees.maker), ("fees.taker", s.fees.taker)] {
                if !(v.is_finite() && (0.0..0.5).contains(&v)) {
                    return Err(SimError::Instrument {
                        symbol: s.symbol.clone(),
                        reason: format!("`{name}` = {v}: must be finite and in [0, 0.5)"),
                    });
                }
            }
            if let Some(v) = s.max_volume_fraction {
                if !(v.is_finite() && v > 0.0) {
                    return Err(SimError::Instrument {
                        symbol: s.symbol.clone(),
                        reason: format!("`maxVolumeFraction` = {v}: must be finite and > 0"),
                    });
                }
            }
        }
        Ok(Engine {
            params,
            instruments,
        })
    }

    /// The index of an instrument by symbol; an unknown symbol is an error naming it.
    pub fn index_of(&self, symbol: &str) -> Result<usize, SimError> {
        self.instruments
            .iter()
            .position(|s| s.symbol == symbol)
            .ok_or_else(|| SimError::Instrument {
                symbol: symbol.to_string(),
                reason: format!(
                    "unknown instrument (this portfolio has {})",
                    self.instruments
                        .iter()
                        .map(|s| s.symbol.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    pub fn initial_state(&self) -> State {
        State::new(self.params.starting_cash, self.instruments.len())
    }

    /// Checks one timestamp's inputs: one slot per instrument, finite positive prices and
    /// quantities. Errors name the instrument and field.
    pub fn check_step(&self, bars: &[Option<BarInput>], orders: &[Orders]) -> Result<(), SimError> {
        let n = self.instruments.len();
        if bars.len() != n || orders.len() != n {
            return Err(SimError::LengthMismatch {
                what: "step inputs",
                got: bars.len().max(orders.len()),
                expected: n,
            });
        }
        for (k, (b, o)) in bars.iter().zip(orders).enumerate() {
            let sym = &self.instruments[k].symbol;
            let bad = |reason: String| SimError::Instrument {
                symbol: sym.clone(),
                reason,
            };
            if let Some(b) = b {
                let ok = [b.open, b.high, b.low, b.close, b.volume]
                    .iter()
                    .all(|x| x.is_finite())
                    && b.low > 0.0
                    && b.low <= b.open.min(b.close)
                    && b.high >= b.open.max(b.close)
                    && b.volume >= 0.0;
                if !ok {
                    return Err(bad(format!(
                        "bar at {} is unusable (o {} h {} l {} c {} v {})",
                        tradelab_core::time::format_ms(b.ts),
                        b.open,
                        b.high,
                        b.low,
                        b.close,
                        b.volume
                    )));
                }
                if let Some(r) = b.funding_rate {
                    if !r.is_finite() {
                        return Err(bad(format!("funding rate {r} is not finite")));
                    }
                }
            }
            if let Some(x) = o.after_exit {
                if x as usize >= n {
                    return Err(bad(format!(
                        "`afterExit` = {x}: no such instrument (this portfolio has {n})"
                    )));
                }
                if !matches!(o.buy.map(|l| l.size), Some(Size::Frac(_))) {
                    return Err(bad(
                        "`afterExit` needs a buy sized as a fraction (of the exit's proceeds)"
                            .into(),
                    ));
                }
            }
            for (side, l) in [("buy", o.buy), ("sell", o.sell)] {
                let Some(l) = l else { continue };
                if !(l.price.is_finite() && l.price > 0.0) {
                    return Err(bad(format!(
                        "{side} order price {} must be finite and > 0",
                        l.price
                    )));
                }
                let (what, v) = match l.size {
                    Size::Frac(f) => ("fraction", f),
                    Size::Qty(q) => ("quantity", q),
                };
                if !(v.is_finite() && v >= 0.0) || matches!(l.size, Size::Frac(f) if f > 1.0) {
                    return Err(bad(format!(
                        "{side} order {what} {v} must be finite and in [0, {}]",
                        if what == "fraction" { "1" } else { "inf)" }
                    )));
                }
            }
        }
        Ok(())
    }

    /// Advances `st` by one timestamp. `bars[k]` is instrument k's closed bar (None: no bar, no
    /// fills, marked at its last close); `orders[k]` the orders decided at the previous decision
    /// time. Fills are appended to `out`. Inputs must pass [`Engine::check_step`].
    // Per-instrument loops index several parallel slices (bars, orders, positions, stats) by k.
    #[allow(clippy::needless_range_loop)]
    pub fn step(
        &self,
        st: &mut State,
        bars: &[Option<BarInput>],
        orders: &[Orders],
        out: &mut Vec<Fill>,
    ) {
        let p = &self.params;
        let th = p.fill_rule.thresholds();
        let i = st.bar;
        let n = self.instruments.len();
        let start_q: Scratch<f64> = st.positions.iter().map(|x| x.qty).collect();
        let mut vol_left: Scratch<f64> = smallvec![f64::INFINITY; n];
        let mut blocked: Scratch<bool> = smallvec![true; n];
        // Effective fractions (intrabar cycles use part of them) and reach flags.
        let mut buy_frac: Scratch<f64> = smallvec![0.0_f64; n];
        let mut sell_frac: Scratch<f64> = smallvec![0.0_f64; n];
        let mut buy_reached: Scratch<bool> = smallvec![false; n];
        let mut sell_reached: Scratch<bool> = smallvec![false; n];
        let levered = p.leverage > 1.0;
        // Equity at the open, for buying power beyond cash.
        let open_equity = if levered {
            self.equity_at(st, bars, true)
        } else {
            0.0
        };

        // --- 1. open: max-hold closes, intrabar cycles ---
        for k in 0..n {
            let Some(b) = bars[k] else { continue };
            let spec = &self.instruments[k];
            if !b.tradable {
                continue;
            }
            let q0 = start_q[k];
            let held_too_long = p
                .max_hold_bars
                .is_some_and(|h| q0 != 0.0 && i - st.positions[k].opened_at >= h);
            if held_too_long {
                self.close_at(st, k, b.ts, i, b.open, TradeReason::MaxHold, out);
                continue;
            }
            blocked[k] = false;
            let o = &orders[k];
            let bf = match o.buy.map(|l| l.size) {
                Some(Size::Frac(f)) => f,
                _ => 0.0,
            };
            let sf = match o.sell.map(|l| l.size) {
                Some(Size::Frac(f)) => f,
                _ => 0.0,
            };
            buy_frac[k] = bf;
            sell_frac[k] = sf;
            buy_reached[k] = o.buy.is_some_and(|l| th.buy_reached(b.low, l.price));
            sell_reached[k] = o.sell.is_some_and(|l| th.sell_reached(b.high, l.price));
            vol_left[k] = volume::capacity(spec.max_volume_fraction, b.volume);
            if let (true, Some(bl), Some(sl)) = (p.max_round_trips_per_bar > 0, o.buy, o.sell) {
                if buy_reached[k]
                    && sell_reached[k]
                    && bf > 0.0
                    && sf > 0.0
                    && sl.price > bl.price
                    && q0 >= 0.0
                {
                    let maker = spec.fees.maker;
                    let cy = intrabar_cycles(
                        p.max_round_trips_per_bar as f64,
                        st.cash,
                        bl.price,
                        sl.price,
                        bf,
                        sf,
                        b.high,
                        b.low,
                        maker,
                        vol_left[k],
                    );
                    let qty = cy.qty;
                    if qty > 0.0 {
                        st.cash += cy.buy_cash;
                        st.cash += cy.sell_cash;
                        buy_frac[k] -= cy.frac;
                        sell_frac[k] -= cy.frac;
                        vol_left[k] -= 2.0 * qty;
                        let buy_fee = qty * bl.price * maker;
                        let sell_fee = qty * sl.price * maker;
                        st.stats[k].on_cycles(
                            qty * bl.price + qty * sl.price,
                            buy_fee + sell_fee,
                            cy.buy_cash + cy.sell_cash,
                        );
                        let pos = &mut st.positions[k];
                        pos.cash_flow += cy.buy_cash + cy.sell_cash;
                        pos.fees += buy_fee + sell_fee;
                        let t = |side, price, fee, cash_delta| {
                            Fill::new(
                                k,
                                Trade {
                                    ts: b.ts,
                                    bar: i,
                                    side,
                                    price,
                                    qty,
                                    fee,
                                    cash_delta,
                                    reason: TradeReason::IntrabarCycle,
                                },
                            )
                        };
                        out.push(t(Side::Buy, bl.price, buy_fee, cy.buy_cash));
                        out.push(t(Side::Sell, sl.price, sell_fee, cy.sell_cash));
                    }
                }
            }
        }

        // Buys may spend only cash held before this bar's sells (plus borrowing when levered).
        let buy_cash = st.cash;
        let mut room = if levered {
            fmax(buy_cash + (p.leverage - 1.0) * open_equity, 0.0)
        } else {
            buy_cash
        };

        // Cash each long's full exit raised in step 2 (a contingent buy may spend it).
        let mut exit_proceeds: Scratch<f64> = smallvec![0.0_f64; n];

        // --- 2. exits and sells, from the position held at the open ---
        for k in 0..n {
            let (Some(b), Some(sell)) = (bars[k], orders[k].sell) else {
                continue;
            };
            if blocked[k] || !sell_reached[k] {
                continue;
            }
            let spec = &self.instruments[k];
            let long0 = fmax(start_q[k], 0.0);
            let price = fill::sell_price(b.open, sell.price);
            let want = match sell.size {
                Size::Frac(_) => {
                    if sell_frac[k] <= 0.0 {
                        continue;
                    }
                    sell_frac[k] * long0
                }
                Size::Qty(q) => {
                    if spec.can_short() {
                        // Beyond the long position, a short up to the leverage cap.
                        let cap = fmax(
                            p.leverage * self.equity_at(st, bars, true)
                                - self.gross_at(st, bars, true),
                            0.0,
                        ) / price;
                        fmin(q, long0 + cap)
                    } else {
                        fmin(q, long0)
                    }
                }
            };
            let qty = fmin(want, vol_left[k]);
            if qty > 0.0 {
                vol_left[k] -= qty;
                let cash_before = st.cash;
                self.book_sell(
                    st,
                    k,
                    b.ts,
                    i,
                    price,
                    qty,
                    spec.fees.maker,
                    TradeReason::Limit,
                    out,
                );
                if long0 > 0.0 && st.positions[k].qty == 0.0 {
                    exit_proceeds[k] = st.cash - cash_before;
                }
            }
        }

        // --- 3. entries and buys ---
        for k in 0..n {
            let (Some(b), Some(buy)) = (bars[k], orders[k].buy) else {
                continue;
            };
            if blocked[k] || !buy_reached[k] {
                continue;
            }
            let spec = &self.instruments[k];
            let price = fill::buy_price(b.open, buy.price);
            let unit_cost = spec.fees.buy_unit_cost(price);
            // A quantity order that fits its budget buys exactly that quantity (a cover closes
            // the short to 0.0, not to cost / unit-cost rounding dust).
            let mut exact = None;
            // A contingent buy spends its exit's proceeds (once), not buying power. Proceeds are
            // recorded only for a long that step 2 closed; x must still be flat (its own buy,
            // earlier in instrument order, may have re-entered it).
            let mut from_exit = None;
            if let Some(x) = orders[k].after_exit {
                let x = x as usize;
                if !(exit_proceeds[x] > 0.0 && st.positions[x].qty == 0.0) {
                    continue;
                }
                from_exit = Some(x);
            }
            let budget = match (buy.size, from_exit) {
                (Size::Frac(_), _) if buy_frac[k] <= 0.0 => continue,
                (Size::Frac(_), Some(x)) => buy_frac[k] * exit_proceeds[x],
                (Size::Frac(_), None) => {
                    fmin(buy_frac[k] * if levered { room } else { buy_cash }, room)
                }
                (Size::Qty(q), _) => {
                    // Covering a short needs no buying power beyond its cost; new longs do.
                    let cover = fmin(q, fmax(-st.positions[k].qty, 0.0));
                    let cover_cost = cover * unit_cost;
                    let cost = q * unit_cost;
                    let budget = fmin(cost, fmax(room, cover_cost));
                    if cost <= budget {
                        exact = Some(q);
                    }
                    budget
                }
            };
            if budget < DUST_BUDGET {
                continue;
            }
            let wanted = exact.unwrap_or(budget / unit_cost);
            // Capped by volume: pay for the capped quantity only (never more than budget).
            let (qty, cost) = if wanted <= vol_left[k] {
                (wanted, budget)
            } else {
                (vol_left[k], fmin(vol_left[k] * unit_cost, budget))
            };
            if qty > 0.0 {
                let notional = qty * price;
                let fee = notional * spec.fees.maker;
                match from_exit {
                    Some(x) => exit_proceeds[x] = 0.0,
                    None => room -= cost,
                }
                vol_left[k] -= qty;
                self.book_buy(
                    st,
                    k,
                    b.ts,
                    i,
                    price,
                    qty,
                    fee,
                    cost,
                    TradeReason::Limit,
                    out,
                );
            }
        }

        // --- 4. close: funding, borrow, end of day, interest, liquidation, marks ---
        for k in 0..n {
            let Some(b) = bars[k] else { continue };
            let spec = &self.instruments[k];
            let q = st.positions[k].qty;
            if spec.kind == InstrumentKind::Perpetual && q != 0.0 {
                if let Some(rate) = b.funding_rate {
                    let pay = funding::payment(q, b.mark.unwrap_or(b.close), rate);
                    st.cash += pay;
                    st.funding += pay;
                    st.positions[k].funding += pay;
                    st.positions[k].cash_flow += pay;
                }
            }
            if spec.kind == InstrumentKind::Spot {
                let c = financing::borrow_cost(q, b.close, p.borrow_rate, p.interval_ms);
                if c > 0.0 {
                    st.cash -= c;
                    st.financing += c;
                    st.positions[k].cash_flow -= c;
                }
            }
            if spec.end_of_day_close && b.session_end && b.tradable && q != 0.0 {
                self.close_at(st, k, b.ts, i, b.close, TradeReason::EndOfDay, out);
            }
        }
        let interest = financing::margin_interest(st.cash, p.margin_rate, p.interval_ms);
        if interest > 0.0 {
            st.cash -= interest;
            st.financing += interest;
        }
        if levered || st.positions.iter().any(|x| x.qty < 0.0) {
            self.liquidate_if_needed(st, bars, i, out);
        }
        for k in 0..n {
            if let Some(b) = bars[k] {
                st.positions[k].mark = b.close;
            }
            let q = st.positions[k].qty;
            st.stats[k].on_bar_close(q.abs());
        }
        st.bar += 1;
    }

    /// Equity with every position at this bar's open (`open`) or close, last mark without a bar.
    /// Books a fill that happened at a venue (live trading) on the bar opening at `ts`, clock
    /// index `st.bar`: the same cash, position and statistics rules as the engine's own fills,
    /// with the venue's price, quantity and fee (quote currency). Call before the bar's `step`,
    /// which then marks it (with no orders of its own).
    #[allow(clippy::too_many_arguments)]
    pub fn book_venue_fill(
        &self,
        st: &mut State,
        k: usize,
        ts: i64,
        side: Side,
        price: f64,
        qty: f64,
        fee: f64,
    ) -> Result<Fill, SimError> {
        if k >= self.instruments.len() {
            return Err(SimError::LengthMismatch {
                what: "instrument",
                got: k,
                expected: self.instruments.len(),
            });
        }
        for (name, v) in [("price", price), ("qty", qty)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(SimError::param(
                    name,
                    v,
                    "a venue fill needs a finite positive price and quantity",
                ));
            }
        }
        if !(fee.is_finite() && fee >= 0.0) {
            return Err(SimError::param(
                "fee",
                fee,
                "a venue fee must be finite and >= 0",
            ));
        }
        let mut out = Vec::with_capacity(1);
        let i = st.bar;
        match side {
            Side::Buy => self.book_buy(
                st,
                k,
                ts,
                i,
                price,
                qty,
                fee,
                qty * price + fee,
                TradeReason::Limit,
                &mut out,
            ),
            Side::Sell => {
                self.book_sell_fee(st, k, ts, i, price, qty, fee, TradeReason::Limit, &mut out)
            }
        }
        out.pop()
            .ok_or_else(|| SimError::param("qty", qty, "no fill booked"))
    }

    fn equity_at(&self, st: &State, bars: &[Option<BarInput>], open: bool) -> f64 {
        let mut e = st.cash;
        for (k, pos) in st.positions.iter().enumerate() {
            e += pos.qty * bars[k].map_or(pos.mark, |b| if open { b.open } else { b.close });
        }
        e
    }

    fn gross_at(&self, st: &State, bars: &[Option<BarInput>], open: bool) -> f64 {
        let mut g = 0.0;
        for (k, pos) in st.positions.iter().enumerate() {
            g +=
                (pos.qty * bars[k].map_or(pos.mark, |b| if open { b.open } else { b.close })).abs();
        }
        g
    }

    /// Books a fill of signed `dq` units at `price`: position, average entry, opened-at.
    #[allow(clippy::too_many_arguments)]
    fn apply_fill(
        &self,
        st: &mut State,
        k: usize,
        i: usize,
        dq: f64,
        price: f64,
        cash_delta: f64,
        fee: f64,
    ) {
        let pos = &mut st.positions[k];
        let q0 = pos.qty;
        if q0 == 0.0 {
            pos.opened_at = i;
        }
        let q1 = q0 + dq;
        if q0 == 0.0 || (q0 > 0.0) == (dq > 0.0) {
            // Opening or adding: volume-weighted entry.
            pos.avg_entry = if q1 != 0.0 {
                (pos.avg_entry * q0.abs() + price * dq.abs()) / q1.abs()
            } else {
                0.0
            };
        } else if q1 == 0.0 {
            pos.avg_entry = 0.0;
        } else if (q1 > 0.0) != (q0 > 0.0) {
            // Flipped through zero: the remainder opened at this price, on this bar.
            pos.avg_entry = price;
            pos.opened_at = i;
        }
        pos.qty = q1;
        pos.cash_flow += cash_delta;
        pos.fees += fee;
    }

    /// Market-closes instrument k's whole position at `price` with the taker fee.
    #[allow(clippy::too_many_arguments)]
    fn close_at(
        &self,
        st: &mut State,
        k: usize,
        ts: i64,
        i: usize,
        price: f64,
        reason: TradeReason,
        out: &mut Vec<Fill>,
    ) {
        let q = st.positions[k].qty;
        if q == 0.0 {
            return;
        }
        let taker = self.instruments[k].fees.taker;
        let qty = q.abs();
        if q > 0.0 {
            self.book_sell(st, k, ts, i, price, qty, taker, reason, out);
        } else {
            let gross = qty * price;
            let fee = gross * taker;
            self.book_buy(st, k, ts, i, price, qty, fee, gross + fee, reason, out);
        }
    }

    /// Books a sell of `qty` at `price` paying `fee_rate` of the gross: cash, position,
    /// statistics (a sell that leaves the position at exactly zero closes the round trip), fill.
    #[allow(clippy::too_many_arguments)]
    fn book_sell(
        &self,
        st: &mut State,
        k: usize,
        ts: i64,
        i: usize,
        price: f64,
        qty: f64,
        fee_rate: f64,
        reason: TradeReason,
        out: &mut Vec<Fill>,
    ) {
        let gross = qty * price;
        let fee = gross * fee_rate;
        self.book_sell_fee(st, k, ts, i, price, qty, fee, reason, out);
    }

    /// As `book_sell` with the fee given in quote currency.
    #[allow(clippy::too_many_arguments)]
    fn book_sell_fee(
        &self,
        st: &mut State,
        k: usize,
        ts: i64,
        i: usize,
        price: f64,
        qty: f64,
        fee: f64,
        reason: TradeReason,
        out: &mut Vec<Fill>,
    ) {
        let gross = qty * price;
        let net = gross - fee;
        st.cash += net;
        self.apply_fill(st, k, i, -qty, price, net, fee);
        let closes = st.positions[k].qty == 0.0;
        st.stats[k].on_sell(gross, fee, net, closes);
        out.push(Fill::new(
            k,
            Trade {
                ts,
                bar: i,
                side: Side::Sell,
                price,
                qty,
                fee,
                cash_delta: net,
                reason,
            },
        ));
    }

    /// Books a buy of `qty` at `price` costing `cost` (fee included): cash, position, statistics
    /// (a buy that brings a short back to exactly zero closes the round trip), fill.
    #[allow(clippy::too_many_arguments)]
    fn book_buy(
        &self,
        st: &mut State,
        k: usize,
        ts: i64,
        i: usize,
        price: f64,
        qty: f64,
        fee: f64,
        cost: f64,
        reason: TradeReason,
        out: &mut Vec<Fill>,
    ) {
        let was_short = st.positions[k].qty < 0.0;
        st.cash -= cost;
        self.apply_fill(st, k, i, qty, price, -cost, fee);
        st.stats[k].on_buy(qty * price, fee, cost);
        if was_short && st.positions[k].qty == 0.0 {
            st.stats[k].close_trip();
        }
        out.push(Fill::new(
            k,
            Trade {
                ts,
                bar: i,
                side: Side::Buy,
                price,
                qty,
                fee,
                cash_delta: -cost,
                reason,
            },
        ));
    }

    /// Liquidation: when equity at each position's adverse price this bar (low for longs, high
    /// for shorts) falls below `maintenance_margin` × gross exposure at those prices, every
    /// position is closed at its adverse price with the taker fee.
    #[allow(clippy::needless_range_loop)]
    fn liquidate_if_needed(
        &self,
        st: &mut State,
        bars: &[Option<BarInput>],
        i: usize,
        out: &mut Vec<Fill>,
    ) {
        let adverse = |k: usize, q: f64, mark: f64| {
            bars[k].map_or(mark, |b| if q > 0.0 { b.low } else { b.high })
        };
        let mut e = st.cash;
        let mut g = 0.0;
        for (k, pos) in st.positions.iter().enumerate() {
            let px = adverse(k, pos.qty, pos.mark);
            e += pos.qty * px;
            g += (pos.qty * px).abs();
        }
        if g > 0.0 && e < self.params.maintenance_margin * g {
            st.liquidations += 1;
            for k in 0..st.positions.len() {
                let pos = st.positions[k];
                if pos.qty != 0.0 {
                    let ts = bars[k].map_or(0, |b| b.ts);
                    self.close_at(
                        st,
                        k,
                        ts,
                        i,
                        adverse(k, pos.qty, pos.mark),
                        TradeReason::Liquidation,
                        out,
                    );
                }
            }
        }
    }
}
