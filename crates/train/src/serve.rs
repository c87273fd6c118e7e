//! Serving a checkpoint: the policy's actions on any stored bars, bars appended after training
//! included, with the checkpoint's saved normalisers and feature schema (never refitted; a
//! schema mismatch is refused). `eval` and `actions` share the decision code
//! (`eval::policy_actions`) and the test lock (`checkpoint::claim_global_test_look`), but `eval`
//! still loads its own dataset cut at the test end; ts/test/train-cli.test.ts checks that the
//! exported actions backtest to exactly what `eval` simulates. Paper and live trading later
//! decide through this path too. A symbol the checkpoint never trained on is a labelled
//! transfer: its normaliser is fitted on its own rows in the checkpoint's training window
//! (`Dataset::load_transfer`), and its test looks are claimed for that symbol.
use crate::checkpoint::{self, CheckpointMeta, LedgerEntry};
use crate::data::{Dataset, Normalisers, Split};
use crate::ensemble::{mean_actions, Ensemble};
use crate::error::{Result, TrainError};
use crate::eval::{policy_actions_as, Embedding};
use crate::trainer::build_model;
use serde::Serialize;
use std::path::Path;
use tch::Device;
use tradelab_core::Bars;
use tradelab_sim::{Actions, SimParams};

/// Which bars to decide on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ServeWindow {
    /// One of the checkpoint's own splits.
    Split(Split),
    /// Bars opening in `[from, to)` (epoch ms); open ends run to the first / last stored bar.
    Range { from: Option<i64>, to: Option<i64> },
}

#[derive(Clone, Debug)]
pub struct ServeRequest<'a> {
    pub dir: &'a Path,
    /// None = the best epoch (`weights.safetensors`).
    pub epoch: Option<usize>,
    /// None = the checkpoint's first (target) symbol; a symbol it never trained on is served as
    /// a transfer.
    pub symbol: Option<&'a str>,
    pub window: ServeWindow,
    pub store: Option<&'a Path>,
    pub device: Device,
    /// The run registry holding the global test lock.
    pub registry: Option<&'a Path>,
    pub allow_burned: bool,
    /// What to record as the command in the test lock.
    pub command: &'a str,
}

/// What `serve` decided, and on what.
#[derive(Debug)]
pub struct Served {
    pub symbol: String,
    pub epoch: Option<usize>,
    pub bars: Bars,
    pub actions: Actions,
    /// The simulator parameters the checkpoint trained and was validated with.
    pub params: SimParams,
    pub interval: tradelab_core::Interval,
    pub meta: CheckpointMeta,
    /// The window overlaps the checkpoint's test split.
    pub touches_test: bool,
    /// A look at the test split that the lock had seen before (acknowledged).
    pub burned: bool,
    /// The store's bars in the dataset (`Dataset::data_hash`) and whether they still match the
    /// checkpoint's (bars inside its splits unchanged); None for a transfer symbol, which the
    /// checkpoint's hash does not cover.
    pub data_hash: String,
    pub data_hash_matches: Option<bool>,
    /// The symbol is not one the checkpoint trained on (see [`serve`]).
    pub transfer: bool,
    /// The normaliser used: the saved one, or for a transfer symbol the one fitted on its rows in
    /// the checkpoint's training window.
    pub normaliser: tradelab_features::Normaliser,
    /// Where the policy ran (the CPU in deterministic mode, whatever was asked).
    pub device: Device,
    /// Served through an ensemble (`meta` is then its first member's).
    pub ensemble: Option<EnsembleSummary>,
}

/// What an ensemble's outputs say about it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnsembleSummary {
    /// The members' checkpoint directories, in order.
    pub members: Vec<String>,
    /// The members' epochs (None = best).
    pub epochs: Vec<Option<usize>>,
    pub seal_hash: String,
    pub source: Option<String>,
}

impl EnsembleSummary {
    pub fn of(e: &Ensemble) -> EnsembleSummary {
        EnsembleSummary {
            members: e.member_dirs(),
            epochs: e.members.iter().map(|(_, ep, _)| *ep).collect(),
            seal_hash: e.seal_hash.clone(),
            source: e.spec.source.clone(),
        }
    }
}

/// The label of every output about a symbol the checkpoint never trained on.
pub fn transfer_label(symbol: &str) -> String {
    format!("transfer (not trained on {symbol})")
}

/// Runs the policy causally over the requested window. A window that overlaps the test split is
/// a look at the test split: it is claimed in the checkpoint's ledger and the registry's global
/// lock, and refused the second time unless `allow_burned`.
///
/// A symbol the checkpoint never trained on is served as a **transfer**: its normaliser is
/// fitted on its own rows inside the checkpoint's training window (never validation or test
/// rows, as in training), the feature schema must be the checkpoint's, a global policy uses the
/// mean of its trained symbols' embeddings, and the result says `transfer`. Its test looks are
/// claimed for that symbol.
///
/// An ensemble directory (`crate::ensemble`) is served member by member and its actions are the
/// members' row-wise mean; a test look through it claims the global lock once.
pub fn serve(req: &ServeRequest<'_>) -> Result<Served> {
    match Ensemble::load(req.dir)? {
        Some(e) => serve_ensemble(req, &e),
        None => serve_checkpoint(req),
    }
}

/// [`serve`] for an ensemble already loaded (`req.dir` is its directory).
pub(crate) fn serve_ensemble(req: &ServeRequest<'_>, e: &Ensemble) -> Result<Served> {
    e.refuse_epoch(req.epoch)?;
    let command = format!("{} (ensemble {})", req.command, e.dir.display());
    let mut all: Vec<Served> = Vec::with_capacity(e.members.len());
    for (i, (dir, epoch, _)) in e.members.iter().enumerate() {
        // One look, one claim: later members still check and record their own ledgers.
        let member = ServeRequest {
            dir,
            epoch: *epoch,
            registry: if i == 0 { req.registry } else { None },
            command: &command,
            ..req.clone()
        };
        let s = serve_checkpoint(&member)?;
        if let Some(first) = all.first() {
            if s.bars.ts != first.bars.ts {
                return Err(TrainError::Data(format!(
                    "ensemble {}: member {} served {} bars where member {} served {} (their stores differ)",
                    e.dir.display(),
                    dir.display(),
                    s.bars.len(),
                    e.members[0].0.display(),
                    first.bars.len()
                )));
            }
        }
        all.push(s);
    }
    let actions = mean_actions(&all.iter().map(|s| s.actions.clone()).collect::<Vec<_>>());
    let burned = all.iter().any(|s| s.burned);
    let matches: Vec<bool> = all.iter().filter_map(|s| s.data_hash_matches).collect();
    let data_hash_matches = (!matches.is_empty()).then(|| matches.iter().all(|&m| m));
    let mut out = all
        .into_iter()
        .next()
        .ok_or_else(|| TrainError::Usage("an ensemble needs at least one member".into()))?;
    out.actions = actions;
    out.burned = burned;
    out.data_hash_matches = data_hash_matches;
    out.ensemble = Some(EnsembleSummary::of(e));
    Ok(out)
}

fn serve_checkpoint(req: &ServeRequest<'_>) -> Result<Served> {
    let meta = CheckpointMeta::load(req.dir)?;
    let cfg = &meta.config;
    let symbol = req.symbol.unwrap_or(&cfg.symbols[0]).to_string();
    let trained = cfg.symbols.iter().position(|x| *x == symbol);
    let transfer = trained.is_none();
    let looked: Vec<String> = if transfer {
        vec![symbol.clone()]
    } else {
        cfg.symbols.clone()
    };
    let weights = meta.weights_for(req.dir, req.epoch)?;
    let test = (meta.splits.test_start, meta.splits.test_end);
    let (from, to) = match req.window {
        ServeWindow::Split(s) => meta.splits.of(s),
        ServeWindow::Range { from, to } => (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX)),
    };
    if from >= to {
        return Err(TrainError::Usage(format!(
            "the window is empty (from {from} ms is not before to {to} ms)"
        )));
    }
    let touches_test = from < test.1 && to > test.0;
    let mut burned = touches_test
        && checkpoint::check_local_ledger(req.dir, &looked, &cfg.symbols, req.allow_burned)?;
    crate::environment::apply_threads(cfg.threads, cfg.training.deterministic)?;
    let device = crate::environment::device_for(req.device, cfg.training.deterministic);
    let store = req
        .store
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cfg.store.clone().into());
    let ds = if transfer {
        Dataset::load_transfer(cfg, &store, &meta.splits, &symbol, true)?
    } else {
        Dataset::load_extent(
            cfg,
            &store,
            Some(&meta.splits),
            Normalisers::Saved(&meta.normalisers),
            true,
        )?
    };
    meta.check_schema(req.dir, &ds.schema)?;
    // The checkpoint's data hash covers its trained symbols only.
    let data_hash_matches =
        (!transfer).then(|| ds.data_hash_to(meta.splits.test_end) == meta.data_hash);
    let look_hash = if transfer {
        ds.data_hash_to(meta.splits.test_end)
    } else {
        meta.data_hash.clone()
    };
    let si = ds
        .symbols
        .iter()
        .position(|s| s.symbol == symbol)
        .ok_or_else(|| TrainError::Data(format!("{symbol} is not in the dataset")))?;
    let s = &ds.symbols[si];
    let rows = s.rows_between(from, to);
    if rows.is_empty() {
        return Err(TrainError::Data(format!(
            "{symbol} has no stored bars in the window {from}..{to} ms (stored: {}..{})",
            s.bars.ts.first().copied().unwrap_or(0),
            s.bars.ts.last().copied().unwrap_or(0)
        )));
    }
    if let (true, Some(reg)) = (touches_test, req.registry) {
        burned |= checkpoint::claim_global_test_look(
            reg,
            &meta,
            &looked,
            ds.interval.name(),
            &look_hash,
            format!("{} {}", req.command, req.dir.display()),
            req.allow_burned,
        )?;
    }
    let (mut vs, model) = build_model(cfg, ds.n_features, device);
    checkpoint::load_weights(&mut vs, req.dir, &weights)?;
    let emb = trained.map_or(Embedding::Mean, Embedding::Trained);
    let actions = policy_actions_as(
        &model,
        &ds,
        si,
        emb,
        rows.clone(),
        cfg.model.seq_len as usize,
        cfg.decode.min_gap,
        device,
    );
    let bars = s.bars.slice(rows);
    if touches_test {
        checkpoint::append_ledger(
            req.dir,
            LedgerEntry {
                at: checkpoint::now_iso(),
                data_hash: look_hash,
                window: serde_json::json!({"start": from.max(test.0), "end": to.min(test.1), "command": req.command}),
                acknowledged_burned: burned,
                symbols: Some(looked),
            },
        )?;
    }
    Ok(Served {
        params: cfg.sim.params(ds.interval),
        interval: ds.interval,
        normaliser: s.normaliser.clone(),
        transfer,
        symbol,
        epoch: req.epoch,
        bars,
        actions,
        touches_test,
        burned,
        data_hash: ds.data_hash.clone(),
        data_hash_matches,
        device,
        meta,
        ensemble: None,
    })
}

/// The `actions` event's summary of a served window.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionsSummary {
    pub symbol: String,
    pub interval: String,
    /// The epoch served (`None` = the best epoch, named in `bestEpoch`).
    pub epoch: Option<usize>,
    pub best_epoch: Option<usize>,
    pub rows: usize,
    /// Rows with at least one order (rows whose feature window is not yet valid have none).
    pub decided: usize,
    pub first: i64,
    pub last: i64,
    pub touches_test: bool,
    pub burned: bool,
    pub seal_hash: String,
    /// None for a transfer symbol (the checkpoint's data hash covers its trained symbols only).
    pub data_hash_matches: Option<bool>,
    /// The checkpoint never trained on this symbol: a transfer result.
    pub transfer: bool,
    /// `transfer (not trained on SYM)` for a transfer symbol, else None.
    pub transfer_label: Option<String>,
    /// The symbols the checkpoint trained on (the first is its target).
    pub trained_symbols: Vec<String>,
    /// First and last bar open time (epoch ms) of the rows the normaliser was fitted on.
    pub normaliser_fitted_rows: (i64, i64),
    /// The parameters to simulate these actions with to reproduce `eval`.
    pub params: SimParams,
    pub out: Option<String>,
    /// Served through an ensemble: its members (`sealHash` is then the ensemble's).
    pub ensemble: Option<EnsembleSummary>,
}

impl Served {
    pub fn summary(&self, out: Option<&Path>) -> ActionsSummary {
        let a = &self.actions;
        let decided = (0..a.buy_price.len())
            .filter(|&i| a.buy_price[i].is_finite() || a.sell_price[i].is_finite())
            .count();
        ActionsSummary {
            symbol: self.symbol.clone(),
            interval: self.interval.name().to_string(),
            epoch: self.epoch,
            best_epoch: self
                .ensemble
                .is_none()
                .then_some(self.meta.best_epoch)
                .flatten(),
            rows: self.bars.len(),
            decided,
            first: self.bars.ts.first().copied().unwrap_or(0),
            last: self.bars.ts.last().copied().unwrap_or(0),
            touches_test: self.touches_test,
            burned: self.burned,
            seal_hash: self
                .ensemble
                .as_ref()
                .map_or_else(|| self.meta.seal_hash.clone(), |e| e.seal_hash.clone()),
            data_hash_matches: self.data_hash_matches,
            transfer: self.transfer,
            transfer_label: self.transfer.then(|| transfer_label(&self.symbol)),
            trained_symbols: self.meta.config.symbols.clone(),
            normaliser_fitted_rows: self.normaliser.fitted_rows,
            params: self.params.clone(),
            out: out.map(|p| p.display().to_string()),
            ensemble: self.ensemble.clone(),
        }
    }
}

/// Writes served actions as Parquet (`.parquet`, zstd) or CSV (anything else), atomically:
/// columns `ts` (bar open time, epoch ms: the bar after whose close the row was decided),
/// `buy_price`, `sell_price`, `buy_frac`, `sell_frac`; no order = NaN in Parquet, an empty cell
/// in CSV. `tradelab backtest --strategy FILE` reads both.
pub fn write_actions(served: &Served, path: &Path) -> Result<()> {
    let a = &served.actions;
    let ts = &served.bars.ts;
    let is_parquet = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    if is_parquet {
        use tradelab_data::table::{Column, Table};

        let mut t = Table::default();
        // Epoch ms are exact in f64 (< 2^53).
        t.columns.push((
            "ts".into(),
            Column::F64(ts.iter().map(|&x| x as f64).collect()),
        ));
        for (name, col) in [
            ("buy_price", &a.buy_price),
            ("sell_price", &a.sell_price),
            ("buy_frac", &a.buy_frac),
            ("sell_frac", &a.sell_frac),
        ] {
            t.columns.push((name.into(), Column::F64(col.clone())));
        }
        let s = served.summary(None);
        for (k, v) in [
            ("tradelab.kind", "policy-actions".to_string()),
            ("tradelab.symbol", s.symbol.clone()),
            ("tradelab.interval", s.interval.clone()),
            (
                "tradelab.epoch",
                s.epoch.map_or("best".into(), |e| e.to_string()),
            ),
            ("tradelab.seal_hash", s.seal_hash.clone()),
            (
                "tradelab.transfer",
                s.transfer_label.clone().unwrap_or_else(|| "false".into()),
            ),
            (
                "tradelab.params",
                serde_json::to_string(&s.params).unwrap_or_default(),
            ),
        ] {
            t.metadata.insert(k.into(), v);
        }
        t.write_parquet(path)
            .map_err(|e| TrainError::file(path, e))?;
        return Ok(());
    }
    let mut out = String::from("ts,buy_price,sell_price,buy_frac,sell_frac\n");
    let cell = |v: f64| {
        if v.is_finite() {
            v.to_string()
        } else {
            String::new()
        }
    };
    for (i, t) in ts.iter().enumerate() {
        let (bp, sp) = (a.buy_price[i], a.sell_price[i]);
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            t,
            cell(bp),
            cell(sp),
            if bp.is_finite() {
                cell(a.buy_frac[i])
            } else {
                String::new()
            },
            if sp.is_finite() {
                cell(a.sell_frac[i])
            } else {
                String::new()
            },
        ));
    }
    checkpoint::write_atomic(path, out.as_bytes())
}
