//! The differentiable simulator: the contract of `tradelab_sim::simulate` (see
//! `crates/sim/src/actions.rs`) with fills softened, batched over windows [B, T].
//!
//! Same contract, step by step, for bar s = lag..T−1 and action row s − lag:
//! * buy limit B, sell limit S, buy fraction β of the cash held at the bar's open (before the
//!   bar's sell: never its proceeds), sell fraction σ of the inventory held at the bar's open;
//! * fill prices min(open, B) for buys and max(open, S) for sells (limit, or better on a gap);
//! * maker fee f inside the buy spend (qty = budget / (price·(1+f))) and off the sell proceeds;
//! * fill probability instead of the hard rule: p_buy = sigmoid((B·m_b − L)/(C·τ)) and
//!   p_sell = sigmoid((H − S·m_s)/(C·τ)), C the bar's close, τ the temperature and m_b, m_s the
//!   multipliers of the simulator's own [`FillRule::thresholds`] (1 ∓ buffer for cross, 1 for
//!   touch). As τ → 0 this is the exact touch/cross rule (tested against
//!   `tradelab_sim::simulate` below); expected-value fills otherwise (optimistic, seed §12.4 —
//!   which is why every epoch is evaluated with the exact simulator);
//! * straight-through fills use the exact 0/1 rule forward: touch takes equality, cross
//!   (`buffer` 0 included) must trade strictly through. They also apply the flat rule
//!   ([`tradelab_sim::model::flat`]): a sell fraction ≥ 1 − `SELL_ALL_TOLERANCE` sells the whole
//!   position (forward 1, the fraction's own gradient backward). Soft fills keep the raw fraction
//!   (the difference is at most 0.01 % of the position);
//! * equity marked at the close; one return per bar from the starting value.
//!
//! Not modelled (off in training by construction): max hold, volume caps, intrabar round trips.
use tch::Tensor;
use tradelab_sim::model::flat::SELL_ALL_TOLERANCE;
use tradelab_sim::FillRule;

/// One window batch of bars, each [B, T]. Prices may be rescaled per window (the sim is scale
/// free: cash starts at 1).
#[derive(Debug)]
pub struct SoftBars {
    pub open: Tensor,
    pub high: Tensor,
    pub low: Tensor,
    pub close: Tensor,
}

#[derive(Clone, Copy, Debug)]
pub struct SoftSimParams {
    pub decision_lag: usize,
    pub maker_fee: f64,
    /// The exact simulator's fill rule; its [`FillRule::thresholds`] set both the soft
    /// probabilities and the straight-through 0/1 fills.
    pub fill_rule: FillRule,
    pub temperature: f64,
    /// `false`: expected-value fills p (the seed's soft simulator). `true`: straight-through —
    /// the forward pass uses the exact 0/1 fill rule (so the loss is the exact simulator's on
    /// the window) and the backward pass the sigmoid's gradient.
    pub straight_through: bool,
}

/// Per-bar returns [B, T − lag] and final equity [B] (starting equity 1).
#[derive(Debug)]
pub struct SoftRun {
    pub returns: Tensor,
    pub final_equity: Tensor,
}

/// Actions [B, T] each (row t decided after bar t's close).
pub fn simulate_soft(
    bars: &SoftBars,
    buy_price: &Tensor,
    sell_price: &Tensor,
    buy_frac: &Tensor,
    sell_frac: &Tensor,
    p: &SoftSimParams,
) -> SoftRun {
    let size = bars.close.size();
    let (b, t) = (size[0], size[1]);
    let lag = p.decision_lag as i64;
    let opts = (bars.close.kind(), bars.close.device());
    let n = (t - lag).max(0);
    if n == 0 {
        return SoftRun {
            returns: Tensor::zeros([b, 0], opts),
            final_equity: Tensor::ones([b], opts),
        };
    }
    let f = p.maker_fee;
    // Everything that does not depend on the running cash/inventory, for all steps at once:
    // fill bars s = lag..T−1 against action rows s − lag.
    let bar = |x: &Tensor| x.narrow(1, lag, n);
    let act = |x: &Tensor| x.narrow(1, 0, n);
    let (open, high, low, close) = (
        bar(&bars.open),
        bar(&bars.high),
        bar(&bars.low),
        bar(&bars.close),
    );
    let (bp, sp) = (act(buy_price), act(sell_price));
    let width = close.abs().clamp_min(1e-4) * p.temperature;
    let th = p.fill_rule.thresholds();
    // Buy reached when low < B·m_b (touch: <=), sell when high > S·m_s (touch: >=).
    let z_buy = &bp * th.buy_mult - &low;
    let z_sell = &high - &sp * th.sell_mult;
    let mut p_buy = (&z_buy / &width).sigmoid();
    let mut p_sell = (&z_sell / &width).sigmoid();
    let mut sell_act = act(sell_frac);
    if p.straight_through {
        // touch: low <= B, high >= S; cross (any buffer, 0 too): strictly through.
        let (hb, hs) = if th.touch {
            (z_buy.ge(0.0), z_sell.ge(0.0))
        } else {
            (z_buy.gt(0.0), z_sell.gt(0.0))
        };
        p_buy = hb.to_kind(p_buy.kind()) + &p_buy - p_buy.detach();
        p_sell = hs.to_kind(p_sell.kind()) + &p_sell - p_sell.detach();
        // Flat means flat: forward 1 where the fraction is within the tolerance of 1.
        let all = sell_act
            .ge(1.0 - SELL_ALL_TOLERANCE)
            .to_kind(sell_act.kind());
        let up = (all * (-&sell_act + 1.0)).detach();
        sell_act = &sell_act + up;
    }
    let spend_frac = p_buy * act(buy_frac); // of the cash held before the bar's sell
    let sell_frac = p_sell * sell_act; // of the inventory held at the open
    let qty_per_cash = (open.minimum(&bp) * (1.0 + f)).reciprocal(); // buy at min(open, B)
    let cash_per_qty = open.maximum(&sp) * (1.0 - f); // sell at max(open, S)

    // The sequential part is only the holdings recursion, and it is linear:
    // (cash, inv) after bar k = M_k · (cash, inv) before it, with
    // M_k = [[1 − s_k, d_k·c_k], [s_k·q_k, 1 − d_k]] (s: spend fraction of cash, d: sell fraction
    // of inventory, c: cash per unit sold, q: units per cash spent). The holdings after every bar
    // are the prefix products M_k ··· M_0 applied to (1, 0): a log-depth scan of batched 2×2
    // products (Hillis–Steele, 7 rounds for 72 bars) instead of T sequential steps of small ops,
    // so forward and backward build ~40 autograd nodes instead of ~800 (same values within
    // rounding; `holdings_scan_equals_the_sequential_recursion`).
    let eq = holdings_scan(
        &spend_frac,
        &sell_frac,
        &cash_per_qty,
        &qty_per_cash,
        &close,
    );
    let prev = Tensor::cat(&[Tensor::ones([b, 1], opts), eq.narrow(1, 0, n - 1)], 1);
    let returns = &eq / prev - 1.0;
    SoftRun {
        final_equity: eq.select(1, n - 1),
        returns,
    }
}

/// Equity at each bar's close [B, n] from the per-bar fractions and prices (see
/// `simulate_soft`): prefix products of the holdings' 2×2 transition matrices, by scan.
fn holdings_scan(
    spend_frac: &Tensor,
    sell_frac: &Tensor,
    cash_per_qty: &Tensor,
    qty_per_cash: &Tensor,
    close: &Tensor,
) -> Tensor {
    let n = spend_frac.size()[1];
    let row = |a: Tensor, b: Tensor| Tensor::stack(&[a, b], -1);
    let mut p = Tensor::stack(
        &[
            row(1.0 - spend_frac, sell_frac * cash_per_qty),
            row(spend_frac * qty_per_cash, 1.0 - sell_frac),
        ],
        -2,
    ); // [B, n, 2, 2]: P_k = M_k
    let mut d = 1;
    while d < n {
        // P_k ← P_k · P_{k−d}: then P_k covers M_k ··· M_{k−2d+1}.
        let later = p.narrow(1, d, n - d).matmul(&p.narrow(1, 0, n - d));
        p = Tensor::cat(&[p.narrow(1, 0, d), later], 1);
        d *= 2;
    }
    // (cash, inv) = P_k · (1, 0): column 0.
    let first = p.select(3, 0);
    first.select(2, 0) + first.select(2, 1) * close
}

/// The holdings recursion step by step, as the contract states it (the scan's reference).
#[cfg(test)]
fn holdings_loop(
    spend_frac: &Tensor,
    sell_frac: &Tensor,
    cash_per_qty: &Tensor,
    qty_per_cash: &Tensor,
    close: &Tensor,
) -> Tensor {
    let size = spend_frac.size();
    let opts = (spend_frac.kind(), spend_frac.device());
    let mut cash = Tensor::ones([size[0]], opts);
    let mut inv = Tensor::zeros([size[0]], opts);
    let mut equity = Vec::with_capacity(size[1] as usize);
    for k in 0..size[1] {
        let spend = spend_frac.select(1, k) * &cash;
        let sold = sell_frac.select(1, k) * &inv;
        cash = cash - &spend + &sold * cash_per_qty.select(1, k);
        inv = inv + spend * qty_per_cash.select(1, k) - sold;
        equity.push(&cash + &inv * close.select(1, k));
    }
    Tensor::stack(&equity, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;
    use tradelab_core::Bars;
    use tradelab_sim::{simulate, Actions, FillRule, SimParams};

    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn random_case(seed: u64, n: usize) -> (Bars, Actions) {
        let mut r = Lcg(seed);
        let mut bars = Bars::with_capacity(n);
        let mut px = 100.0;
        for i in 0..n {
            let open = px;
            let close = open * (1.0 + 0.02 * (r.next() - 0.5));
            let high = open.max(close) * (1.0 + 0.01 * r.next());
            let low = open.min(close) * (1.0 - 0.01 * r.next());
            bars.ts.push(i as i64 * 3_600_000);
            bars.open.push(open);
            bars.high.push(high);
            bars.low.push(low);
            bars.close.push(close);
            bars.volume.push(1000.0);
            px = close * (1.0 + 0.004 * (r.next() - 0.5)); // gaps between bars
        }
        let mut a = Actions::empty(n);
        for i in 0..n {
            let c = bars.close[i];
            a.buy_price[i] = c * (1.0 - 0.012 * r.next());
            a.sell_price[i] = c * (1.0 + 0.012 * r.next());
            // "binary-ish" fractions, including partial ones: the fill rule is what τ softens.
            a.buy_frac[i] = [0.0, 1.0, 0.5, 0.3][(r.next() * 4.0) as usize];
            a.sell_frac[i] = [0.0, 1.0, 0.7, 0.25][(r.next() * 4.0) as usize];
        }
        (bars, a)
    }

    fn t2(v: &[f64]) -> Tensor {
        Tensor::from_slice(v).view([1, v.len() as i64])
    }

    /// τ → 0 turns the soft simulator into the exact one: same final equity as
    /// `tradelab_sim::simulate` on the same actions, for touch and cross fills and lags 1 and 2.
    #[test]
    fn tiny_temperature_matches_exact_simulator() {
        for (seed, lag, rule) in [
            (1u64, 1usize, FillRule::Touch),
            (2, 1, FillRule::Cross { buffer: 0.0005 }),
            (3, 2, FillRule::Touch),
            (4, 1, FillRule::Touch),
            (5, 1, FillRule::Cross { buffer: 0.0 }),
            (6, 2, FillRule::Cross { buffer: 0.0 }),
        ] {
            let n = 300;
            let (bars, a) = random_case(seed, n);
            let params = SimParams {
                decision_lag: lag,
                fill_rule: rule,
                maker_fee: 0.001,
                starting_cash: 10_000.0,
                ..Default::default()
            };
            let exact = simulate(&bars, &a, &params).unwrap();
            assert!(
                exact.trades.len() > 20,
                "case {seed} trades too little to be a test"
            );
            let sb = SoftBars {
                open: t2(&bars.open),
                high: t2(&bars.high),
                low: t2(&bars.low),
                close: t2(&bars.close),
            };
            let run = simulate_soft(
                &sb,
                &t2(&a.buy_price),
                &t2(&a.sell_price),
                &t2(&a.buy_frac),
                &t2(&a.sell_frac),
                &SoftSimParams {
                    decision_lag: lag,
                    maker_fee: 0.001,
                    fill_rule: rule,
                    temperature: 1e-12,
                    straight_through: false,
                },
            );
            let soft_final = f64::try_from(run.final_equity.get(0)).unwrap() * params.starting_cash;
            let exact_final = *exact.equity.last().unwrap();
            let rel = (soft_final / exact_final - 1.0).abs();
            assert!(
                rel < 1e-9,
                "case {seed}: soft {soft_final} vs exact {exact_final}"
            );
            // Bar by bar too: the returns are the exact curve's returns after the lag bars.
            let r: Vec<f64> = Vec::try_from(run.returns.get(0).to_kind(Kind::Double)).unwrap();
            let mut v = params.starting_cash;
            for (k, ri) in r.iter().enumerate() {
                v *= 1.0 + ri;
                assert!(
                    (v / exact.equity[k + lag] - 1.0).abs() < 1e-9,
                    "case {seed} bar {}",
                    k + lag
                );
            }
        }
    }

    /// The log-depth scan gives the step-by-step recursion's equity and gradients (f64: to
    /// rounding; f32 training inputs: to single precision), for lengths around powers of two.
    #[test]
    fn holdings_scan_equals_the_sequential_recursion() {
        let mut r = Lcg(42);
        for (b, n) in [
            (3i64, 1i64),
            (2, 2),
            (4, 7),
            (3, 8),
            (5, 9),
            (2, 71),
            (2, 128),
        ] {
            let mut v = |lo: f64, hi: f64| {
                let x: Vec<f64> = (0..b * n).map(|_| lo + (hi - lo) * r.next()).collect();
                Tensor::from_slice(&x).view([b, n]).set_requires_grad(true)
            };
            let (s, d) = (v(0.0, 1.0), v(0.0, 1.0));
            let (c, q, close) = (v(90.0, 110.0), v(0.009, 0.011), v(90.0, 110.0));
            let args = [&s, &d, &c, &q, &close];
            let grads = |eq: Tensor| -> Vec<Tensor> {
                for t in args {
                    let mut g = t.grad();
                    if g.defined() {
                        let _ = g.zero_();
                    }
                }
                let w = eq.ones_like().cumsum(1, Kind::Double);
                (eq * w).sum(Kind::Double).backward();
                args.iter().map(|t| t.grad().copy()).collect()
            };
            let want = holdings_loop(&s, &d, &c, &q, &close);
            let got = holdings_scan(&s, &d, &c, &q, &close);
            let rel = f64::try_from(((&got - &want).abs() / want.abs()).max()).unwrap();
            assert!(rel < 1e-12, "b {b} n {n}: rel {rel}");
            let (gw, gg) = (grads(want), grads(got));
            for (x, y) in gw.iter().zip(&gg) {
                let err = f64::try_from((x - y).abs().max()).unwrap();
                let scale = f64::try_from(x.abs().max()).unwrap().max(1e-12);
                assert!(
                    err / scale < 1e-10,
                    "b {b} n {n}: grad err {err} of {scale}"
                );
            }
        }
    }

    #[test]
    fn gradients_reach_the_actions() {
        let (bars, a) = random_case(9, 40);
        let sb = SoftBars {
            open: t2(&bars.open).to_kind(Kind::Float),
            high: t2(&bars.high).to_kind(Kind::Float),
            low: t2(&bars.low).to_kind(Kind::Float),
            close: t2(&bars.close).to_kind(Kind::Float),
        };
        let f = |v: &[f64]| t2(v).to_kind(Kind::Float).set_requires_grad(true);
        let (bp, sp, bf, sf) = (
            f(&a.buy_price),
            f(&a.sell_price),
            f(&a.buy_frac),
            f(&a.sell_frac),
        );
        for st in [false, true] {
            for t in [&bp, &sp, &bf, &sf] {
                let mut g = t.grad();
                if g.defined() {
                    let _ = g.zero_();
                }
            }
            let run = simulate_soft(
                &sb,
                &bp,
                &sp,
                &bf,
                &sf,
                &SoftSimParams {
                    decision_lag: 1,
                    maker_fee: 0.001,
                    fill_rule: FillRule::Touch,
                    temperature: 0.01,
                    straight_through: st,
                },
            );
            run.final_equity.sum(Kind::Float).backward();
            for g in [bp.grad(), sp.grad(), bf.grad(), sf.grad()] {
                assert!(
                    f64::try_from(g.abs().sum(Kind::Float)).unwrap() > 0.0,
                    "straight-through {st}"
                );
            }
        }
    }

    /// `random_case` with ties and near-1 sells: a quarter of the limits sit exactly at the fill
    /// bar's low/high (where touch fills and cross does not), and every full sell is a sigmoid
    /// just below 1 (σ(12) = 0.9999939, which the flat rule sells as everything).
    fn case_with_ties(seed: u64, n: usize, lag: usize) -> (Bars, Actions) {
        let (bars, mut a) = random_case(seed, n);
        let mut r = Lcg(seed ^ 0x5eed);
        for i in 0..n - lag {
            if r.next() < 0.25 {
                a.buy_price[i] = bars.low[i + lag];
            }
            if r.next() < 0.25 {
                a.sell_price[i] = bars.high[i + lag];
            }
            if a.sell_frac[i] == 1.0 {
                a.sell_frac[i] = SIGMOID_12;
            }
        }
        (bars, a)
    }

    /// σ(12), a policy's "sell everything" output.
    const SIGMOID_12: f64 = 0.999_993_855_825_397_8;

    fn run_actions(bars: &Bars, a: &Actions, p: &SoftSimParams) -> SoftRun {
        let sb = SoftBars {
            open: t2(&bars.open),
            high: t2(&bars.high),
            low: t2(&bars.low),
            close: t2(&bars.close),
        };
        simulate_soft(
            &sb,
            &t2(&a.buy_price),
            &t2(&a.sell_price),
            &t2(&a.buy_frac),
            &t2(&a.sell_frac),
            p,
        )
    }

    /// Straight-through fills: the forward pass is the exact simulator at any temperature, for
    /// touch, strict cross (buffer 0) and cross 5 bps, with limits exactly at the bar's range and
    /// sigmoid "sell all" fractions.
    #[test]
    fn straight_through_forward_is_exact() {
        assert!((SIGMOID_12 - 1.0 / (1.0 + (-12.0f64).exp())).abs() < 1e-15);
        for (seed, lag, rule) in [
            (11u64, 1usize, FillRule::Touch),
            (12, 1, FillRule::Cross { buffer: 0.0005 }),
            (13, 1, FillRule::Cross { buffer: 0.0 }),
            (14, 2, FillRule::Touch),
            (15, 2, FillRule::Cross { buffer: 0.0 }),
        ] {
            let n = 200;
            let (bars, a) = case_with_ties(seed, n, lag);
            let params = SimParams {
                decision_lag: lag,
                fill_rule: rule,
                starting_cash: 1.0,
                ..Default::default()
            };
            let exact = simulate(&bars, &a, &params).unwrap();
            assert!(
                exact.metrics.round_trips > 5,
                "case {seed}: the flat rule should close round trips"
            );
            let run = run_actions(
                &bars,
                &a,
                &SoftSimParams {
                    decision_lag: lag,
                    maker_fee: 0.001,
                    fill_rule: rule,
                    temperature: 0.01,
                    straight_through: true,
                },
            );
            let r: Vec<f64> = Vec::try_from(run.returns.get(0)).unwrap();
            let mut v = 1.0;
            for (k, ri) in r.iter().enumerate() {
                v *= 1.0 + ri;
                let e = exact.equity[k + lag];
                assert!(
                    (v / e - 1.0).abs() < 1e-9,
                    "case {seed} ({rule}) bar {}: {v} vs {e}",
                    k + lag
                );
            }
        }
    }

    /// Three hand-made bars (open, high, low, close) and actions that place no reachable order
    /// (buy 50 and sell 200 at fraction 0: the soft simulator needs finite prices everywhere).
    fn three_bars(rows: [(f64, f64, f64, f64); 3]) -> (Bars, Actions) {
        let mut bars = Bars::with_capacity(3);
        for (i, (o, h, l, c)) in rows.into_iter().enumerate() {
            bars.ts.push(i as i64 * 3_600_000);
            bars.open.push(o);
            bars.high.push(h);
            bars.low.push(l);
            bars.close.push(c);
            bars.volume.push(1000.0);
        }
        let mut a = Actions::empty(3);
        a.buy_price = vec![50.0; 3];
        a.sell_price = vec![200.0; 3];
        (bars, a)
    }

    fn st_params(rule: FillRule) -> SoftSimParams {
        SoftSimParams {
            decision_lag: 1,
            maker_fee: 0.0,
            fill_rule: rule,
            temperature: 0.01,
            straight_through: true,
        }
    }

    /// Straight-through 0/1 fills at exactly the limit (low == buy, high == sell): touch fills,
    /// cross with buffer 0 is a strict trade-through and does not (the old `buffer > 0.0` test
    /// made it a touch). The exact simulator agrees.
    #[test]
    fn straight_through_cross_zero_is_strict_at_the_limit() {
        let (cross0, touch) = (FillRule::Cross { buffer: 0.0 }, FillRule::Touch);
        // Bar 1 trades down to exactly 99 and up to exactly 101.
        let rows = [
            (100.0, 100.5, 99.5, 100.0),
            (100.0, 101.0, 99.0, 100.0),
            (100.0, 100.5, 99.5, 100.0),
        ];
        // Buy side: row 0 buys at 99, to fill on bar 1.
        let (bars, mut a) = three_bars(rows);
        a.buy_price[0] = 99.0;
        a.buy_frac[0] = 1.0;
        // Return of bar 1: 100/99 − 1 when the buy filled at 99 (marked at 100), else 0.
        let bar1 = |rule| {
            let run = run_actions(&bars, &a, &st_params(rule));
            f64::try_from(run.returns.get(0).get(0)).unwrap()
        };
        assert!(
            (bar1(touch) - (100.0 / 99.0 - 1.0)).abs() < 1e-12,
            "touch fills at low == limit"
        );
        assert_eq!(bar1(cross0), 0.0, "cross 0 must not fill at low == limit");
        for (rule, fills) in [(touch, 1), (cross0, 0)] {
            let exact = simulate(
                &bars,
                &a,
                &SimParams {
                    fill_rule: rule,
                    ..Default::default()
                },
            );
            assert_eq!(exact.unwrap().trades.len(), fills, "{rule}");
        }

        // Sell side: buy on bar 1 (low 99 < 99.5, both rules), sell on bar 2 at exactly its high.
        let rows = [
            (100.0, 100.5, 99.5, 100.0),
            (100.0, 100.5, 99.0, 100.0),
            (100.0, 100.2, 99.8, 100.0),
        ];
        let (bars, mut a) = three_bars(rows);
        a.buy_price[0] = 99.5;
        a.buy_frac[0] = 1.0;
        a.sell_price[1] = 100.2;
        a.sell_frac[1] = 1.0;
        // Return of bar 2: sold at 100.2 against the close-1 mark 100, or held (close 100 → 100).
        let bar2 = |rule| {
            let run = run_actions(&bars, &a, &st_params(rule));
            f64::try_from(run.returns.get(0).get(1)).unwrap()
        };
        assert!(
            (bar2(touch) - 0.002).abs() < 1e-12,
            "touch sells at high == limit"
        );
        assert_eq!(bar2(cross0), 0.0, "cross 0 must not sell at high == limit");
        for (rule, fills) in [(touch, 2), (cross0, 1)] {
            let exact = simulate(
                &bars,
                &a,
                &SimParams {
                    fill_rule: rule,
                    ..Default::default()
                },
            );
            assert_eq!(exact.unwrap().trades.len(), fills, "{rule}");
        }
    }

    /// The flat rule in the straight-through path: σ(12) = 0.9999939 sells everything forward,
    /// and the gradient still reaches the sell logit.
    #[test]
    fn straight_through_sigmoid_sell_goes_flat() {
        // Buy on bar 1 at 99, sell "all" on bar 2 at 102; bar 2 closes at 90.
        let (bars, mut a) = three_bars([
            (100.0, 100.5, 99.5, 100.0),
            (100.0, 100.5, 98.0, 99.0),
            (99.0, 103.0, 89.5, 90.0),
        ]);
        a.buy_price[0] = 99.0;
        a.buy_frac[0] = 1.0;
        a.sell_price[1] = 102.0;
        let logit = Tensor::from_slice(&[-30.0f64, 12.0, -30.0])
            .view([1, 3])
            .set_requires_grad(true);
        let sb = SoftBars {
            open: t2(&bars.open),
            high: t2(&bars.high),
            low: t2(&bars.low),
            close: t2(&bars.close),
        };
        let run = simulate_soft(
            &sb,
            &t2(&a.buy_price),
            &t2(&a.sell_price),
            &t2(&a.buy_frac),
            &logit.sigmoid(),
            &st_params(FillRule::Cross { buffer: 0.0 }),
        );
        // Flat after the sell, so the close at 90 leaves equity at 102/99 (without the flat rule
        // 0.0006 % of the position would stay and lose 12/99 of its value).
        let fin = f64::try_from(run.final_equity.get(0)).unwrap();
        assert!((fin - 102.0 / 99.0).abs() < 1e-12, "{fin}");
        run.final_equity.sum(Kind::Double).backward();
        let g: Vec<f64> = Vec::try_from(logit.grad().get(0)).unwrap();
        assert!(g[1] != 0.0, "gradient reaches the sell logit: {g:?}");
        // The exact simulator sells the same row as everything too.
        a.sell_frac[1] = SIGMOID_12;
        let exact = simulate(
            &bars,
            &a,
            &SimParams {
                fill_rule: FillRule::Cross { buffer: 0.0 },
                maker_fee: 0.0,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(exact.final_inventory, 0.0);
        assert!((exact.equity[2] / exact.equity[0] - fin).abs() < 1e-12);
    }
}
