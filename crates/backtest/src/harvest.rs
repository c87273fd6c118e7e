//! Funding harvest (seed 004): long spot + short perpetual of the same base and quantity, so price
//! moves cancel and the short collects funding while the rate is positive.
//!
//! Honest by construction:
//! * decisions at bar close T trade at bar T+1's open (marketable limits, taker fee on both
//!   legs) and see only funding events settled at or before T's close (the seed's study entered
//!   on the current period's rate: an oracle);
//! * each leg is `allocation × equity / 2` (spot paid in full, the short margined 1:1); a leg whose
//!   notional drifts more than `rebalanceThreshold` from that target is traded back to it (both
//!   legs together, so the hedge stays equal in quantity);
//! * funding is paid on the perpetual's close: the store keeps no mark-price series (the label
//!   says so).
use crate::error::{BacktestError, Result};
use crate::load::{self, Window};
use serde::{Deserialize, Serialize};
use tradelab_core::time::format_ms;
use tradelab_core::Bars;
use tradelab_sim::engine::orders::{Limit, Size};
use tradelab_sim::engine::portfolio::{
    run_portfolio, Decision, InstrumentData, InstrumentResult, OrderSource,
};
use tradelab_sim::model::Fees;
use tradelab_sim::{Engine, EngineParams, InstrumentKind, InstrumentSpec, Metrics, Orders};

const HOUR_MS: i64 = 3_600_000;

/// When to hold the hedge.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum HarvestRule {
    /// Hold it all the time.
    Always,
    /// Decide every `hours` (UTC boundaries): hold the next period iff the funding settled in the
    /// last `hours` summed to more than 0.
    Every { hours: u32 },
    /// Hold while the mean of the last `window` settled rates is above `enter`; leave when it
    /// falls below `exit` (rates per funding interval, e.g. 0.0001 = 0.01 %).
    Gate { window: u32, enter: f64, exit: f64 },
}

impl HarvestRule {
    pub fn label(&self) -> String {
        match self {
            HarvestRule::Always => "always on".into(),
            HarvestRule::Every { hours } => {
                format!("every {hours}h: hold iff last {hours}h funding > 0")
            }
            HarvestRule::Gate {
                window,
                enter,
                exit,
            } => format!(
                "gate: mean of last {window} rates > {:.4}% in, < {:.4}% out",
                enter * 100.0,
                exit * 100.0
            ),
        }
    }
}

fn default_allocation() -> f64 {
    1.0
}
fn default_threshold() -> f64 {
    0.05
}
fn default_spot_fee() -> f64 {
    0.001
}
fn default_perp_fee() -> f64 {
    0.0005
}
fn default_cash() -> f64 {
    10_000.0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HarvestRequest {
    #[serde(flatten)]
    pub window: Window,
    /// The spot market, e.g. `BTC/USDT`.
    pub symbol: String,
    /// The perpetual (default: `BASE/QUOTE:QUOTE`, e.g. `BTC/USDT:USDT`).
    #[serde(default)]
    #[ts(optional)]
    pub perp: Option<String>,
    /// Default: always on.
    #[serde(default)]
    #[ts(optional)]
    pub rule: Option<HarvestRule>,
    /// Capital deployed (default 1): each leg's notional is `allocation × equity / 2`.
    #[serde(default)]
    #[ts(optional)]
    pub allocation: Option<f64>,
    /// Relative drift of a leg's notional from its target that triggers a rebalance (default 0.05).
    #[serde(default)]
    #[ts(optional)]
    pub rebalance_threshold: Option<f64>,
    /// Taker fee of the spot leg (default 0.1 %; every harvest trade crosses the spread).
    #[serde(default)]
    #[ts(optional)]
    pub spot_fee: Option<f64>,
    /// Taker fee of the perpetual leg (default 0.05 %).
    #[serde(default)]
    #[ts(optional)]
    pub perp_fee: Option<f64>,
    /// Default 10 000.
    #[serde(default)]
    #[ts(optional)]
    pub starting_cash: Option<f64>,
}

/// A request with its defaults filled in.
#[derive(Clone, Debug, PartialEq)]
struct Settings {
    rule: HarvestRule,
    allocation: f64,
    rebalance_threshold: f64,
    spot_fee: f64,
    perp_fee: f64,
    starting_cash: f64,
}

impl HarvestRequest {
    fn settings(&self) -> Settings {
        Settings {
            rule: self.rule.clone().unwrap_or(HarvestRule::Always),
            allocation: self.allocation.unwrap_or_else(default_allocation),
            rebalance_threshold: self.rebalance_threshold.unwrap_or_else(default_threshold),
            spot_fee: self.spot_fee.unwrap_or_else(default_spot_fee),
            perp_fee: self.perp_fee.unwrap_or_else(default_perp_fee),
            starting_cash: self.starting_cash.unwrap_or_else(default_cash),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct HarvestReport {
    /// Every assumption behind the numbers.
    pub label: String,
    pub rule: HarvestRule,
    pub rule_label: String,
    pub spot: String,
    pub perp: String,
    pub metrics: Metrics,
    /// Annualised return of the equity curve (calendar time, compounding).
    pub apr: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
    /// Fraction of UTC calendar months whose equity rose.
    pub monthly_win_rate: f64,
    #[ts(type = "number")]
    pub months: u64,
    /// Funding received minus paid.
    pub funding_net: f64,
    pub funding_received: f64,
    pub funding_paid: f64,
    pub fees_paid: f64,
    /// Fraction of the clock the hedge was on.
    pub deployed: f64,
    #[ts(type = "number")]
    pub entries: u64,
    #[ts(type = "number")]
    pub exits: u64,
    #[ts(type = "number")]
    pub rebalances: u64,
    #[ts(type = "number")]
    pub funding_events: u64,
    pub legs: Vec<InstrumentResult>,
    pub final_equity: f64,
    pub liquidation_value: f64,
    /// `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
    pub data_hash: String,
    /// The named split run on, if any (`test (burned)` when the test lock saw it before).
    pub split: Option<crate::load::SplitInfo>,
    #[ts(type = "number")]
    pub steps: u64,
    #[ts(type = "number")]
    pub first: i64,
    #[ts(type = "number")]
    pub last: i64,
}

/// The default perpetual of a spot symbol: `BTC/USDT` → `BTC/USDT:USDT`.
pub fn perp_of(spot: &str) -> Result<String> {
    match spot.split_once('/') {
        Some((_, quote)) if !spot.contains(':') => Ok(format!("{spot}:{quote}")),
        _ => Err(BacktestError::input("symbol", format!("'{spot}' is not a spot BASE/QUOTE market (funding harvest pairs it with BASE/QUOTE:QUOTE)"))),
    }
}

/// The harvest's order source: instrument 0 is spot, 1 the perpetual.
struct Harvester<'a> {
    bars: [&'a Bars; 2],
    funding_ts: &'a [i64],
    funding_rate: &'a [f64],
    /// Events settled so far (index of the first unseen one).
    seen: usize,
    rule: HarvestRule,
    allocation: f64,
    threshold: f64,
    want: bool,
    entries: u64,
    exits: u64,
    rebalances: u64,
    /// The perp's cumulative funding at the last decision, and its split by sign.
    funding_seen: f64,
    received: f64,
    paid: f64,
}

impl Harvester<'_> {
    /// Books the funding accrued since the last call (at most one event per bar: exact).
    fn book_funding(&mut self, cumulative: f64) {
        let delta = cumulative - self.funding_seen;
        if delta > 0.0 {
            self.received += delta;
        } else {
            self.paid -= delta;
        }
        self.funding_seen = cumulative;
    }

    fn update_want(&mut self, now: i64) {
        while self.seen < self.funding_ts.len() && self.funding_ts[self.seen] <= now {
            self.seen += 1;
        }
        let settled = &self.funding_ts[..self.seen];
        let rates = &self.funding_rate[..self.seen];
        match self.rule {
            HarvestRule::Always => self.want = true,
            HarvestRule::Every { hours } => {
                let period = i64::from(hours.max(1)) * HOUR_MS;
                if now % period == 0 {
                    let from = settled.partition_point(|&t| t <= now - period);
                    if from < rates.len() {
                        self.want = rates[from..].iter().sum::<f64>() > 0.0;
                    }
                }
            }
            HarvestRule::Gate {
                window,
                enter,
                exit,
            } => {
                let w = window.max(1) as usize;
                if rates.len() >= w {
                    let mean = rates[rates.len() - w..].iter().sum::<f64>() / w as f64;
                    if mean > enter {
                        self.want = true;
                    } else if mean < exit {
                        self.want = false;
                    }
                }
            }
        }
    }
}

fn buy(price: f64, qty: f64) -> Option<Limit> {
    (qty > 0.0).then_some(Limit {
        price: price * 1.05,
        size: Size::Qty(qty),
    })
}

fn sell(price: f64, qty: f64) -> Option<Limit> {
    (qty > 0.0).then_some(Limit {
        price: price * 0.95,
        size: Size::Qty(qty),
    })
}

impl OrderSource for Harvester<'_> {
    fn orders(&mut self, d: &Decision<'_>, out: &mut [Orders]) {
        self.book_funding(d.state.positions[1].funding);
        self.update_want(d.ts);
        // Both legs need a bar now and one before it (the last close known at the decision).
        let (Some(is), Some(ip)) = (d.bar_index[0], d.bar_index[1]) else {
            return;
        };
        if is == 0 || ip == 0 {
            return;
        }
        let (cs, cp) = (self.bars[0].close[is - 1], self.bars[1].close[ip - 1]);
        let (qs, qp) = (d.state.positions[0].qty, d.state.positions[1].qty);
        let open = qs != 0.0 || qp != 0.0;
        if !self.want {
            if open {
                self.exits += 1;
                out[0].sell = sell(cs, qs);
                out[1].buy = buy(cp, -qp);
            }
            return;
        }
        let target = self.allocation * d.state.equity() / 2.0 / cs;
        if !(target.is_finite() && target > 0.0) {
            return;
        }
        let drift = |q: f64| (q - target).abs() > self.threshold * target;
        if open && !drift(qs) && !drift(-qp) {
            return;
        }
        if open {
            self.rebalances += 1;
        } else {
            self.entries += 1;
        }
        let (ds, dp) = (target - qs, -target - qp);
        if ds > 0.0 {
            out[0].buy = buy(cs, ds);
        } else {
            out[0].sell = sell(cs, -ds);
        }
        if dp < 0.0 {
            out[1].sell = sell(cp, -dp);
        } else {
            out[1].buy = buy(cp, dp);
        }
    }
}

/// Fraction of UTC months whose last equity beat the previous month's (the first month against
/// the starting equity), and the number of months.
pub fn monthly_win_rate(ts: &[i64], equity: &[f64], start: f64) -> (f64, u64) {
    let mut prev = start;
    let (mut wins, mut months) = (0u64, 0u64);
    for i in 0..ts.len() {
        let month = |t: i64| format_ms(t)[..7].to_string();
        let last_of_month = i + 1 == ts.len() || month(ts[i + 1]) != month(ts[i]);
        if last_of_month {
            months += 1;
            if equity[i] > prev {
                wins += 1;
            }
            prev = equity[i];
        }
    }
    (
        if months > 0 {
            wins as f64 / months as f64
        } else {
            0.0
        },
        months,
    )
}

fn check_settings(r: &Settings) -> Result<()> {
    let finite_in = |field: &str, v: f64, lo: f64, hi: f64| {
        if v.is_finite() && v >= lo && v <= hi {
            Ok(())
        } else {
            Err(BacktestError::input(
                field,
                format!("{v} must be in [{lo}, {hi}]"),
            ))
        }
    };
    finite_in("allocation", r.allocation, 0.0, 1.0)?;
    finite_in("rebalanceThreshold", r.rebalance_threshold, 0.0, 1.0)?;
    finite_in("spotFee", r.spot_fee, 0.0, 0.1)?;
    finite_in("perpFee", r.perp_fee, 0.0, 0.1)?;
    if !(r.starting_cash.is_finite() && r.starting_cash > 0.0) {
        return Err(BacktestError::input("startingCash", "must be > 0"));
    }
    match r.rule {
        HarvestRule::Every { hours } if !(1..=24 * 7).contains(&hours) => Err(BacktestError::input("rule.hours", format!("{hours} must be in 1..=168"))),
        HarvestRule::Gate { window, enter, exit } if window == 0 || !enter.is_finite() || !exit.is_finite() || exit > enter => Err(BacktestError::input(
            "rule",
            format!("gate needs window >= 1 and exit <= enter (got window {window}, enter {enter}, exit {exit})"),
        )),
        _ => Ok(()),
    }
}

pub fn run(request: &HarvestRequest) -> Result<(HarvestReport, crate::single::Curve)> {
    let req = &request.settings();
    check_settings(req)?;
    let perp_name = match &request.perp {
        Some(p) => p.clone(),
        None => perp_of(&request.symbol)?,
    };
    let (resolved, split) = request.window.resolve(
        &[request.symbol.as_str(), perp_name.as_str()],
        "funding harvest",
    )?;
    let w = &resolved;
    let (spot, spot_bars) = load::bars(w, &request.symbol)?;
    let (perp, perp_bars) = load::bars(w, &perp_name)?;
    // Trade only where both legs have bars.
    let from = spot_bars.ts[0].max(perp_bars.ts[0]);
    let to = spot_bars.ts[spot_bars.len() - 1].min(perp_bars.ts[perp_bars.len() - 1]) + 1;
    let (spot_bars, perp_bars) = (
        spot_bars.between(Some(from), Some(to)),
        perp_bars.between(Some(from), Some(to)),
    );
    if spot_bars.is_empty() || perp_bars.is_empty() {
        return Err(BacktestError::input(
            "window",
            format!("{spot} and {perp} have no bars in common"),
        ));
    }
    let funding = load::funding(w, &perp)?;
    let iv = w.interval()?.ms();
    let cal = tradelab_calendar::Calendar::for_symbol(&spot)?;
    let engine_params = EngineParams {
        // Gross cap 2× equity: room for a rebalance above the 1× the legs hold at allocation 1.
        leverage: 2.0,
        interval_ms: iv,
        starting_cash: req.starting_cash,
        periods_per_year: Some(cal.periods_per_year(iv)),
        ..EngineParams::default()
    };
    let taker = |f: f64| Fees { maker: f, taker: f };
    let spot_spec = InstrumentSpec::spot(spot.as_str(), taker(req.spot_fee));
    let mut perp_spec = InstrumentSpec::spot(perp.as_str(), taker(req.perp_fee));
    perp_spec.kind = InstrumentKind::Perpetual;
    let engine = Engine::new(engine_params, vec![spot_spec, perp_spec])?;
    let mut perp_data = InstrumentData::new(&perp_bars, iv);
    perp_data.funding = Some((&funding.ts, &funding.rate));
    let data = [InstrumentData::new(&spot_bars, iv), perp_data];
    let mut source = Harvester {
        bars: [&spot_bars, &perp_bars],
        funding_ts: &funding.ts,
        funding_rate: &funding.rate,
        seen: 0,
        rule: req.rule.clone(),
        allocation: req.allocation,
        threshold: req.rebalance_threshold,
        want: false,
        entries: 0,
        exits: 0,
        rebalances: 0,
        funding_seen: 0.0,
        received: 0.0,
        paid: 0.0,
    };
    let r = run_portfolio(&engine, &data, &mut source)?;
    let (monthly, months) = monthly_win_rate(&r.ts, &r.equity, req.starting_cash);
    let end = r.ts.last().copied().unwrap_or(from) + iv;
    let funding_events = funding
        .ts
        .iter()
        .filter(|t| **t > from && **t <= end)
        .count() as u64;
    source.book_funding(r.final_state.positions[1].funding);
    let (received, paid) = (source.received, source.paid);
    let fees: f64 = r.instruments.iter().map(|x| x.fees).sum();
    let deployed = r.instruments[1].exposure;
    let label = format!(
        "funding harvest · long {spot} + short {perp} · {} · allocation {} (legs {}% of equity each) · rebalance at {}% drift · taker fees spot {}% / perp {}% · lag 1: decided at a close from funding settled by then, filled at the next open · funding on the perp close (no mark-price series in the store) · {}",
        req.rule.label(),
        req.allocation,
        req.allocation * 50.0,
        req.rebalance_threshold * 100.0,
        req.spot_fee * 100.0,
        req.perp_fee * 100.0,
        cal.periods_label(iv)
    );
    let report = HarvestReport {
        label,
        rule_label: req.rule.label(),
        rule: req.rule.clone(),
        spot: spot.to_string(),
        perp: perp.to_string(),
        data_hash: load::data_hash(w, [&spot, &perp])?,
        split,
        apr: r.metrics.curve.annualised_return,
        sharpe: r.metrics.curve.sharpe,
        max_drawdown: r.metrics.curve.max_drawdown,
        metrics: r.metrics,
        monthly_win_rate: monthly,
        months,
        funding_net: r.funding,
        funding_received: received,
        funding_paid: paid,
        fees_paid: fees,
        deployed,
        entries: source.entries,
        exits: source.exits,
        rebalances: source.rebalances,
        funding_events,
        legs: r.instruments,
        final_equity: r.equity.last().copied().unwrap_or(req.starting_cash),
        liquidation_value: r.liquidation_value,
        steps: r.ts.len() as u64,
        first: r.ts.first().copied().unwrap_or(0),
        last: r.ts.last().copied().unwrap_or(0),
    };
    let curve = crate::single::Curve {
        ts: r.ts,
        equity: r.equity,
        close: Vec::new(),
    };
    Ok((report, curve))
}
