//! The differentiable simulator: the contract of `tradelab_sim::simulate` (see
//! `crates/sim/src/actions.rs`) with fills softened, batched over windows [B, T].
//!
//! Same contract, step by step, for bar s = lag..T−1 and action row s − lag:
//! * buy limit B, sell limit S, buy fraction β of the cash held at the bar's open (before the
//!   bar's sell: never its proceeds), sell fraction σ of the inventory held at the bar's open;
//! * fill prices min(open, B) for buys and max(open, S) for sells (limit, or better on a gap);
//! * maker fee f inside the buy spend (qty = budget / (price·(1+f))) and off the sell proceeds;
//! * fill probability instead of the hard rule: p_buy = sigmoid((B(1−b) − L)/(C·τ)) and
//!   p_sell = sigmoid((H − S(1+b))/(C·τ)), C the bar's close, b the cross buffer (0 = touch),
//!   τ the temperature. As τ → 0 this is the exact touch/cross rule (tested against
//!   `tradelab_sim::simulate` below); expected-value fills otherwise (optimistic, seed §12.4 —
//!   which is why every epoch is evaluated with the exact simulator);
//! * equity marked at the close; one return per bar from the starting value.
//!
//! Not modelled (off in training by construction): max hold, volume caps, intrabar round trips.
use tch::Tensor;

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
    /// Cross buffer b (0 for touch).
    pub buffer: f64,
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
    let z_buy = &bp * (1.0 - p.buffer) - &low;
    let z_sell = &high - &sp * (1.0 + p.buffer);
    let mut p_buy = (&z_buy / &width).sigmoid();
    let mut p_sell = (&z_sell / &width).sigmoid();
    if p.straight_through {
        // touch: low <= B, high >= S; cross: strictly through the buffered limit.
        let (hb, hs) = if p.buffer > 0.0 {
            (z_buy.gt(0.0), z_sell.gt(0.0))
        } else {
            (z_buy.ge(0.0), z_sell.ge(0.0))
        };
        p_buy = hb.to_kind(p_buy.kind()) + &p_buy - p_buy.detach();
        p_sell = hs.to_kind(p_sell.kind()) + &p_sell - p_sell.detach();
    }
    let spend_frac = p_buy * act(buy_frac); // of the cash held before the bar's sell
    let sell_frac = p_sell * act(sell_frac); // of the inventory held at the open
    let qty_per_cash = (open.minimum(&bp) * (1.0 + f)).reciprocal(); // buy at min(open, B)
    let cash_per_qty = open.maximum(&sp) * (1.0 - f); // sell at max(open, S)
                                                      // The sequential part: only the holdings recursion.
    let mut cash = Tensor::ones([b], opts);
    let mut inv = Tensor::zeros([b], opts);
    let mut equity = Vec::with_capacity(n as usize);
    for k in 0..n {
        let spend = spend_frac.select(1, k) * &cash;
        let sold = sell_frac.select(1, k) * &inv;
        cash = cash - &spend + &sold * cash_per_qty.select(1, k);
        inv = inv + spend * qty_per_cash.select(1, k) - sold;
        equity.push(&cash + &inv * close.select(1, k));
    }
    let eq = Tensor::stack(&equity, 1); // [B, n]
    let prev = Tensor::cat(&[Tensor::ones([b, 1], opts), eq.narrow(1, 0, n - 1)], 1);
    let returns = &eq / prev - 1.0;
    SoftRun {
        final_equity: eq.select(1, n - 1),
        returns,
    }
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
            let buffer = match rule {
                FillRule::Touch => 0.0,
                FillRule::Cross { buffer } => buffer,
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
                    buffer,
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
                    buffer: 0.0,
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

    /// Straight-through fills: the forward pass is the exact simulator at any temperature.
    #[test]
    fn straight_through_forward_is_exact() {
        for (seed, rule) in [
            (11u64, FillRule::Touch),
            (12, FillRule::Cross { buffer: 0.0005 }),
        ] {
            let (bars, a) = random_case(seed, 200);
            let params = SimParams {
                fill_rule: rule,
                starting_cash: 1.0,
                ..Default::default()
            };
            let exact = simulate(&bars, &a, &params).unwrap();
            let sb = SoftBars {
                open: t2(&bars.open),
                high: t2(&bars.high),
                low: t2(&bars.low),
                close: t2(&bars.close),
            };
            let buffer = if let FillRule::Cross { buffer } = rule {
                buffer
            } else {
                0.0
            };
            let run = simulate_soft(
                &sb,
                &t2(&a.buy_price),
                &t2(&a.sell_price),
                &t2(&a.buy_frac),
                &t2(&a.sell_frac),
                &SoftSimParams {
                    decision_lag: 1,
                    maker_fee: 0.001,
                    buffer,
                    temperature: 0.01,
                    straight_through: true,
                },
            );
            let soft = f64::try_from(run.final_equity.get(0)).unwrap();
            assert!(
                (soft / exact.equity[199] - 1.0).abs() < 1e-9,
                "case {seed}: {soft} vs {}",
                exact.equity[199]
            );
        }
    }
}
