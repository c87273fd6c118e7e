//! Exact evaluation: run the policy causally over a split and simulate with
//! `tradelab_sim::simulate` (the one simulator contract).
//!
//! Decision row t (every bar of the split) uses the feature window ending at row t — context
//! before the split is allowed, bars after t never are — and the LAST position's output, decoded
//! with close_t and the band known at the close of t. Rows whose window is not fully valid place
//! no orders. The simulator then fills row t on bar t + decisionLag inside the split.
use crate::config::TrainConfig;
use crate::data::{windows_ending_at, Dataset, Split, SymbolData};
use crate::decode::decode;
use crate::error::Result;
use crate::model::{Policy, SymbolInput};
use serde_json::{json, Value};
use tch::{Device, Kind, Tensor};
use tradelab_core::Bars;
use tradelab_sim::{simulate, Actions, SimParams, SimResult};

/// Windows per forward pass during evaluation.
const EVAL_CHUNK: usize = 256;

/// Which symbol embedding decisions use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Embedding {
    /// The trained symbol with this index in the checkpoint's `symbols`.
    Trained(usize),
    /// The mean of the trained symbols' embeddings: a symbol the policy never trained on
    /// (transfer). A one-symbol policy has no embedding, so this adds nothing.
    Mean,
}

/// Actions for rows `rows` of `s` (one per row, in order), decided causally; symbol `si` of the
/// dataset is symbol `si` of the checkpoint.
pub fn policy_actions(
    model: &Policy,
    ds: &Dataset,
    si: usize,
    rows: std::ops::Range<usize>,
    seq_len: usize,
    min_gap: f64,
    device: Device,
) -> Actions {
    policy_actions_as(
        model,
        ds,
        si,
        Embedding::Trained(si),
        rows,
        seq_len,
        min_gap,
        device,
    )
}

/// As `policy_actions`, for dataset symbol `si` decided with embedding `emb`.
#[allow(clippy::too_many_arguments)]
pub fn policy_actions_as(
    model: &Policy,
    ds: &Dataset,
    si: usize,
    emb: Embedding,
    rows: std::ops::Range<usize>,
    seq_len: usize,
    min_gap: f64,
    device: Device,
) -> Actions {
    let s = &ds.symbols[si];
    let mut a = Actions::empty(rows.len());
    let decidable: Vec<usize> = rows
        .clone()
        .filter(|&r| r + 1 >= seq_len && s.window_ok(r + 1 - seq_len, seq_len))
        .collect();
    tch::no_grad(|| {
        for chunk in decidable.chunks(EVAL_CHUNK) {
            let x = windows_ending_at(s, ds.n_features, chunk, seq_len, device);
            let logits = match emb {
                Embedding::Trained(id) => {
                    let sym = Tensor::full([chunk.len() as i64], id as i64, (Kind::Int64, device));
                    model.forward(&x, Some(&sym), false)
                }
                Embedding::Mean => model.forward_with(&x, SymbolInput::Mean, false),
            };
            let last = logits
                .select(1, seq_len as i64 - 1)
                .to_device(Device::Cpu)
                .to_kind(Kind::Double);
            let col =
                |v: &[f64]| Tensor::from_slice(&chunk.iter().map(|&r| v[r]).collect::<Vec<_>>());
            let d = decode(
                &last,
                &col(&s.bars.close),
                &col(&s.band_lo),
                &col(&s.band_hi),
                min_gap,
            );
            let vals = |t: &Tensor| Vec::<f64>::try_from(t).unwrap_or_default();
            let (bp, sp, bf, sf) = (
                vals(&d.buy_price),
                vals(&d.sell_price),
                vals(&d.buy_frac),
                vals(&d.sell_frac),
            );
            for (k, &r) in chunk.iter().enumerate() {
                let j = r - rows.start;
                a.buy_price[j] = bp[k];
                a.sell_price[j] = sp[k];
                a.buy_frac[j] = bf[k];
                a.sell_frac[j] = sf[k];
            }
        }
    });
    a
}

/// One symbol's exact-simulator run over a split.
#[derive(Debug)]
pub struct SplitEval {
    pub symbol: String,
    pub split: Split,
    pub bars: Bars,
    pub actions: Actions,
    pub result: SimResult,
}

/// Exact run of symbol `si` over `split` with the config's sequence length, decode gap and
/// simulator parameters.
pub fn evaluate_split(
    model: &Policy,
    ds: &Dataset,
    si: usize,
    split: Split,
    cfg: &TrainConfig,
    device: Device,
) -> Result<SplitEval> {
    evaluate_split_as(model, ds, si, Embedding::Trained(si), split, cfg, device)
}

/// As `evaluate_split`, for dataset symbol `si` decided with embedding `emb`.
pub fn evaluate_split_as(
    model: &Policy,
    ds: &Dataset,
    si: usize,
    emb: Embedding,
    split: Split,
    cfg: &TrainConfig,
    device: Device,
) -> Result<SplitEval> {
    let (seq_len, min_gap) = (cfg.model.seq_len as usize, cfg.decode.min_gap);
    let params: SimParams = cfg.sim.params(ds.interval);
    let s: &SymbolData = &ds.symbols[si];
    let (a, b) = ds.bounds.of(split);
    let rows = s.rows_between(a, b);
    let bars = slice_bars(&s.bars, rows.clone());
    let actions = policy_actions_as(model, ds, si, emb, rows, seq_len, min_gap, device);
    let result = simulate(&bars, &actions, &params)?;
    Ok(SplitEval {
        symbol: s.symbol.clone(),
        split,
        bars,
        actions,
        result,
    })
}

impl SplitEval {
    /// Assumptions, window and metrics (the per-epoch summary).
    pub fn summary(&self, interval: &str) -> Value {
        json!({
            "symbol": self.symbol,
            "interval": interval,
            "assumptions": self.result.label,
            "window": self.window(),
            "metrics": self.result.metrics,
        })
    }

    pub fn window(&self) -> Value {
        json!({
            "split": self.split.name(),
            "first": self.bars.ts.first(),
            "last": self.bars.ts.last(),
            "bars": self.bars.len(),
        })
    }

    /// The full result, shaped like the TS library's BacktestResult (assumptions, window,
    /// metrics, trades, curve).
    pub fn full(&self, interval: &str, test_burned: bool) -> Value {
        json!({
            "symbol": self.symbol,
            "interval": interval,
            "assumptions": self.result.label,
            "window": self.window(),
            "metrics": self.result.metrics,
            "trades": self.result.trades,
            "roundTrips": tradelab_sim::round_trips(&self.result.trades),
            "finalCash": self.result.final_cash,
            "finalInventory": self.result.final_inventory,
            "curve": { "ts": self.bars.ts, "equity": self.result.equity, "close": self.bars.close },
            "testBurned": test_burned,
        })
    }

    /// Sortino of the exact run (checkpoint selection key).
    pub fn sortino(&self) -> f64 {
        self.result.metrics.curve.sortino
    }
}

pub fn slice_bars(b: &Bars, r: std::ops::Range<usize>) -> Bars {
    b.slice(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrainConfig;
    use tradelab_core::Interval;

    /// A seeded random walk: 1 % moves, ranges up to 1.2 % each side, small gaps.
    fn walk(n: usize, seed: u64) -> Bars {
        let mut s = seed;
        let mut u = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut bars = Bars::with_capacity(n);
        let mut px = 100.0;
        for i in 0..n {
            let open = px;
            let close = open * (1.0 + 0.02 * (u() - 0.5));
            bars.ts.push(i as i64 * 3_600_000);
            bars.open.push(open);
            bars.high.push(open.max(close) * (1.0 + 0.012 * u()));
            bars.low.push(open.min(close) * (1.0 - 0.012 * u()));
            bars.close.push(close);
            bars.volume.push(1000.0);
            px = close * (1.0 + 0.002 * (u() - 0.5));
        }
        bars
    }

    /// Decoded actions for constant logits on every row, band close × (1 ∓ 1 %).
    fn decoded(bars: &Bars, logits: [f64; 4], min_gap: f64) -> Actions {
        let n = bars.len();
        let l = Tensor::from_slice(&logits)
            .view([1, 4])
            .repeat([n as i64, 1]);
        let close = Tensor::from_slice(&bars.close);
        let d = decode(&l, &close, &(&close * 0.99), &(&close * 1.01), min_gap);
        let v = |t: &Tensor| Vec::<f64>::try_from(t).unwrap();
        Actions {
            buy_price: v(&d.buy_price),
            sell_price: v(&d.sell_price),
            buy_frac: v(&d.buy_frac),
            sell_frac: v(&d.sell_frac),
        }
    }

    /// A policy's "sell everything" is a sigmoid, never exactly 1 (logit 12 → 0.9999939). The
    /// exact evaluation must still go flat: round trips close, win rate is a real fraction, and
    /// exposure is below 100 %. A fraction outside the flat rule's tolerance never goes flat.
    #[test]
    fn sigmoid_sell_all_goes_flat_in_the_exact_evaluation() {
        let cfg = TrainConfig::from_json(r#"{"symbols":["SOL/USDT"]}"#).unwrap();
        let params = cfg.sim.params(Interval::H1);
        let bars = walk(600, 42);
        let a = decoded(&bars, [0.0, 0.0, 12.0, 12.0], cfg.decode.min_gap);
        let sf = a.sell_frac[0];
        assert!(sf < 1.0 && sf > 0.99999, "sigmoid(12) = {sf}");
        let m = simulate(&bars, &a, &params).unwrap().metrics;
        assert!(m.round_trips > 10, "round trips {}", m.round_trips);
        assert!(
            m.win_rate > 0.0 && m.win_rate < 1.0,
            "win rate {}",
            m.win_rate
        );
        assert!(
            m.exposure > 0.0 && m.exposure < 0.9,
            "exposure {}",
            m.exposure
        );

        // σ(7) = 0.99909 is a real partial sell: dust stays, the position never closes.
        let a = decoded(&bars, [0.0, 0.0, 12.0, 7.0], cfg.decode.min_gap);
        let m = simulate(&bars, &a, &params).unwrap().metrics;
        assert_eq!(m.round_trips, 0);
        assert_eq!(m.win_rate, 0.0);
        assert!(m.exposure > 0.95, "exposure {}", m.exposure);
    }
}
