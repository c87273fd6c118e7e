//! Live decisions from a checkpoint: the policy served one bar at a time for paper and live
//! trading (`tradelab-train decide`, driven by `ts/src/live/policy-source.ts`).
//!
//! The decider holds the symbol's bars: the store's history before the run starts, then every
//! closed bar the live loop pushes. A decision for bar `t` rebuilds the serving dataset from
//! those bars (features are causal, the checkpoint's saved normalisers are used and never
//! refitted; a transfer symbol's normaliser is fitted on its rows in the checkpoint's training
//! window, as `serve` does) and runs the policy on the window ending at `t`: exactly the row
//! `tradelab-train actions` gives for `t` on a store holding the same bars, so a paper run over
//! a replayed window trades what a backtest of the served actions trades.
//!
//! A bar inside the checkpoint's test split is refused: trading it live or in a replay would be
//! a look at the locked test window. One long-lived process per run, not one per order or bar.
//!
//! An ensemble directory (`crate::ensemble`) decides with every member (each holding the same
//! bars) and answers the members' mean, the row `actions` gives for the ensemble.
use crate::checkpoint::{self, CheckpointMeta};
use crate::data::{Dataset, Normalisers};
use crate::ensemble::{mean_actions, Ensemble};
use crate::error::{Result, TrainError};
use crate::eval::{policy_actions_as, Embedding};
use crate::model::Policy;
use crate::trainer::build_model;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tch::{nn::VarStore, Device};
use tradelab_core::{Bars, Symbol};
use tradelab_sim::{Actions, SimParams};

/// One decided row: the policy's limit prices and fractions for the bar after `ts` (NaN: no
/// order on that side), before the simulator's order transform (intensity, offsets, lag).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionRow {
    pub ts: i64,
    pub buy_price: Option<f64>,
    pub sell_price: Option<f64>,
    pub buy_frac: f64,
    pub sell_frac: f64,
}

/// Decides bars for a checkpoint, or for each member of an ensemble.
pub struct Decider {
    members: Vec<CheckpointDecider>,
}

struct CheckpointDecider {
    dir: std::path::PathBuf,
    meta: CheckpointMeta,
    model: Policy,
    _vs: VarStore,
    symbol: String,
    /// Index in the checkpoint's symbols; None: a labelled transfer.
    trained: Option<usize>,
    bars: Bars,
    device: Device,
}

/// What the decider tells the loop when it is ready.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeciderInfo {
    pub symbol: String,
    pub interval: String,
    pub epoch: Option<usize>,
    pub seal_hash: String,
    pub history_bars: usize,
    pub last_history_ts: Option<i64>,
    pub transfer: bool,
    /// The parameters the checkpoint trained and validated with (the paper run's defaults).
    pub params: SimParams,
    pub test_split: (i64, i64),
    /// An ensemble's members (`sealHash` is then the ensemble's); None for a checkpoint.
    pub ensemble: Option<crate::serve::EnsembleSummary>,
}

impl Decider {
    /// Loads the checkpoint (or every member of the ensemble) in `dir` and the store's bars of
    /// `symbol` opening before `history_until`.
    pub fn open(
        dir: &Path,
        epoch: Option<usize>,
        symbol: Option<&str>,
        store: Option<&Path>,
        history_until: i64,
        device: Device,
    ) -> Result<(Decider, DeciderInfo)> {
        let Some(e) = Ensemble::load(dir)? else {
            let (m, info) =
                CheckpointDecider::open(dir, epoch, symbol, store, history_until, device)?;
            return Ok((Decider { members: vec![m] }, info));
        };
        e.refuse_epoch(epoch)?;
        let mut members = Vec::with_capacity(e.members.len());
        let mut infos = Vec::with_capacity(e.members.len());
        for (p, ep, _) in &e.members {
            let (m, info) = CheckpointDecider::open(p, *ep, symbol, store, history_until, device)?;
            members.push(m);
            infos.push(info);
        }
        let transfer = infos.iter().any(|i| i.transfer);
        let mut info = infos.swap_remove(0);
        info.epoch = None;
        info.seal_hash = e.seal_hash.clone();
        info.transfer = transfer;
        info.ensemble = Some(crate::serve::EnsembleSummary::of(&e));
        Ok((Decider { members }, info))
    }

    /// Appends closed bars to every member (see [`CheckpointDecider::push`]: all or nothing, and
    /// every member holds the same bars, so a refusal leaves them all as they were).
    pub fn push(&mut self, b: &Bars) -> Result<usize> {
        let mut n = 0;
        for m in &mut self.members {
            n = m.push(b)?;
        }
        Ok(n)
    }

    pub fn bars(&self) -> usize {
        self.members.first().map_or(0, |m| m.bars.len())
    }

    /// The action row for the held bar opening at `ts` (an ensemble's: its members' mean).
    pub fn decide(&self, ts: i64) -> Result<ActionRow> {
        let rows = self
            .members
            .iter()
            .map(|m| m.decide(ts))
            .collect::<Result<Vec<_>>>()?;
        let a = mean_actions(&rows);
        let finite = |x: f64| x.is_finite().then_some(x);
        Ok(ActionRow {
            ts,
            buy_price: finite(a.buy_price[0]),
            sell_price: finite(a.sell_price[0]),
            buy_frac: finite(a.buy_frac[0]).unwrap_or(0.0),
            sell_frac: finite(a.sell_frac[0]).unwrap_or(0.0),
        })
    }
}

impl CheckpointDecider {
    fn open(
        dir: &Path,
        epoch: Option<usize>,
        symbol: Option<&str>,
        store: Option<&Path>,
        history_until: i64,
        device: Device,
    ) -> Result<(CheckpointDecider, DeciderInfo)> {
        let meta = CheckpointMeta::load(dir)?;
        let cfg = &meta.config;
        let symbol = symbol.unwrap_or(&cfg.symbols[0]).to_string();
        let trained = cfg.symbols.iter().position(|x| *x == symbol);
        let weights = meta.weights_for(dir, epoch)?;
        crate::environment::apply_threads(cfg.threads, cfg.training.deterministic)?;
        let device = crate::environment::device_for(device, cfg.training.deterministic);
        let interval = cfg.interval()?;
        let store = store
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cfg.store.clone().into());
        let sym =
            Symbol::parse(&symbol).map_err(|e| TrainError::Usage(format!("--symbol: {e}")))?;
        let all = tradelab_data::Store::open(&store).read(&sym, interval)?;
        let keep = all.ts.partition_point(|&t| t < history_until);
        let bars = all.slice(0..keep);
        let (mut vs, model) = build_model(cfg, meta.feature_schema.names.len(), device);
        checkpoint::load_weights(&mut vs, dir, &weights)?;
        let info = DeciderInfo {
            symbol: symbol.clone(),
            interval: interval.name().to_string(),
            epoch,
            seal_hash: meta.seal_hash.clone(),
            history_bars: bars.len(),
            last_history_ts: bars.ts.last().copied(),
            transfer: trained.is_none(),
            params: cfg.sim.params(interval),
            test_split: (meta.splits.test_start, meta.splits.test_end),
            ensemble: None,
        };
        Ok((
            CheckpointDecider {
                dir: dir.to_path_buf(),
                meta,
                model,
                _vs: vs,
                symbol,
                trained,
                bars,
                device,
            },
            info,
        ))
    }

    /// Appends closed bars. Bars at or before the last held one must be the held ones (a
    /// reconnecting loop re-sends them); anything else is refused, naming the bar, and then
    /// nothing is appended (so an ensemble's members never hold different bars). Optional
    /// columns the history has and the pushed bars lack are filled as `Bars::push_from` does.
    fn push(&mut self, b: &Bars) -> Result<usize> {
        b.check_lengths()
            .map_err(|e| TrainError::Usage(format!("push: {e}")))?;
        let mut last = self.bars.ts.last().copied();
        let mut new = Vec::new();
        for i in 0..b.len() {
            let t = b.ts[i];
            match last {
                Some(l) if t <= l => {
                    let j = self.bars.ts.partition_point(|&x| x < t);
                    if !(self.bars.ts.get(j) == Some(&t) && self.bars.same_bar(j, b, i)) {
                        return Err(TrainError::Data(format!(
                            "push: the bar at {t} ms differs from the one held (the venue's history changed, or it is out of order)"
                        )));
                    }
                }
                _ => {
                    new.push(i);
                    last = Some(t);
                }
            }
        }
        for i in new {
            self.bars.push_from(b, i);
        }
        Ok(self.bars.len())
    }

    /// The policy's action row (one row of `Actions`) for the held bar opening at `ts`.
    fn decide(&self, ts: i64) -> Result<Actions> {
        let (t0, t1) = (self.meta.splits.test_start, self.meta.splits.test_end);
        if ts >= t0 && ts < t1 {
            return Err(TrainError::Usage(format!(
                "the bar at {ts} ms lies in {}'s locked test split ({t0}..{t1} ms): trading it would look at the test window; replay a window on val or after the test end",
                self.dir.display()
            )));
        }
        let r = self.bars.ts.partition_point(|&x| x < ts);
        if self.bars.ts.get(r) != Some(&ts) {
            return Err(TrainError::Data(format!(
                "decide: no held bar opens at {ts} ms ({} bars held, last {:?})",
                self.bars.len(),
                self.bars.ts.last()
            )));
        }
        let cfg = &self.meta.config;
        let one = vec![(self.symbol.clone(), self.bars.clone())];
        let ds = match self.trained {
            Some(_) => Dataset::from_bars_extent(
                cfg,
                one,
                Some(&self.meta.splits),
                Normalisers::Saved(&self.meta.normalisers),
                true,
            )?,
            None => Dataset::transfer_from_bars(
                cfg,
                &self.symbol,
                self.bars.clone(),
                &self.meta.splits,
                true,
            )?,
        };
        self.meta.check_schema(&self.dir, &ds.schema)?;
        let emb = self.trained.map_or(Embedding::Mean, Embedding::Trained);
        Ok(policy_actions_as(
            &self.model,
            &ds,
            0,
            emb,
            r..r + 1,
            cfg.model.seq_len as usize,
            cfg.decode.min_gap,
            self.device,
        ))
    }
}

/// One request line of the `decide` protocol (stdin, JSON lines).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Request {
    Push(Bars),
    Decide(i64),
}
