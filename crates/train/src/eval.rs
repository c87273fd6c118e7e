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
use crate::model::Policy;
use serde_json::{json, Value};
use tch::{Device, Kind, Tensor};
use tradelab_core::Bars;
use tradelab_sim::{simulate, Actions, SimParams, SimResult};

/// Windows per forward pass during evaluation.
const EVAL_CHUNK: usize = 256;

/// Actions for rows `rows` of `s` (one per row, in order), decided causally.
pub fn policy_actions(
    model: &Policy,
    ds: &Dataset,
    si: usize,
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
            let sym = Tensor::full([chunk.len() as i64], si as i64, (Kind::Int64, device));
            let logits = model.forward(&x, Some(&sym), false);
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
    let (seq_len, min_gap) = (cfg.model.seq_len as usize, cfg.decode.min_gap);
    let params: SimParams = cfg.sim.params(ds.interval);
    let s: &SymbolData = &ds.symbols[si];
    let (a, b) = ds.bounds.of(split);
    let rows = s.rows_between(a, b);
    let bars = slice_bars(&s.bars, rows.clone());
    let actions = policy_actions(model, ds, si, rows, seq_len, min_gap, device);
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
    Bars {
        ts: b.ts[r.clone()].to_vec(),
        open: b.open[r.clone()].to_vec(),
        high: b.high[r.clone()].to_vec(),
        low: b.low[r.clone()].to_vec(),
        close: b.close[r.clone()].to_vec(),
        volume: b.volume[r.clone()].to_vec(),
        trades: b.trades.as_ref().map(|v| v[r.clone()].to_vec()),
        vwap: b.vwap.as_ref().map(|v| v[r].to_vec()),
    }
}
