//! The training loop: shuffled windows → policy → decode → differentiable simulator → loss, with
//! an exact-simulator validation after every epoch and a checkpoint written each epoch.
use crate::checkpoint::{self, CheckpointMeta, EpochRecord, BEST_WEIGHTS, LAST_WEIGHTS};
use crate::config::{FillGradient, OptimKind, TrainConfig};
use crate::data::{make_batch, Batch, Dataset, Normalisers, Split};
use crate::decode::decode;
use crate::diffsim::{simulate_soft, SoftBars, SoftSimParams};
use crate::error::{Result, TrainError};
use crate::eval::evaluate_split;
use crate::events::Sink;
use crate::loss::{sortino_loss, LossParts};
use crate::model::{param_count, Policy};
use crate::optim::{lr_multiplier, temperature, Optimizer};
use crate::rng::SplitMix64;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tch::{nn::VarStore, Device};

#[derive(Clone, Debug)]
pub struct TrainOptions {
    pub out: PathBuf,
    pub device: Device,
    pub resume: Option<PathBuf>,
    pub store: PathBuf,
}

#[derive(Debug)]
pub struct TrainOutcome {
    pub dir: PathBuf,
    pub best_epoch: Option<usize>,
    /// Loss of every optimisation step, in order.
    pub step_losses: Vec<f64>,
    pub best_val: Value,
    pub seconds: f64,
}

/// Builds the policy on `device`, seeded from the config.
pub fn build_model(cfg: &TrainConfig, n_features: usize, device: Device) -> (VarStore, Policy) {
    tch::manual_seed(cfg.training.seed as i64);
    let vs = VarStore::new(device);
    let model = Policy::new(
        &vs.root(),
        &cfg.model,
        n_features as i64,
        cfg.symbols.len() as i64,
    );
    (vs, model)
}

/// Loss of one batch through the differentiable simulator at temperature `temp`.
pub fn batch_loss(
    model: &Policy,
    batch: &Batch,
    cfg: &TrainConfig,
    temp: f64,
    train: bool,
) -> LossParts {
    let logits = model.forward(&batch.x, Some(&batch.symbol), train);
    let d = decode(
        &logits,
        &batch.close,
        &batch.band_lo,
        &batch.band_hi,
        cfg.decode.min_gap,
    );
    let bars = SoftBars {
        open: batch.open.shallow_clone(),
        high: batch.high.shallow_clone(),
        low: batch.low.shallow_clone(),
        close: batch.close.shallow_clone(),
    };
    let p = SoftSimParams {
        decision_lag: cfg.sim.decision_lag,
        maker_fee: cfg.sim.maker_fee,
        fill_rule: cfg.sim.fill_rule,
        temperature: temp,
        straight_through: cfg.training.fills == FillGradient::StraightThrough,
    };
    let run = simulate_soft(
        &bars,
        &d.buy_price,
        &d.sell_price,
        &d.buy_frac,
        &d.sell_frac,
        &p,
    );
    let ppy = cfg
        .interval()
        .map(|i| i.periods_per_year())
        .unwrap_or(8760.0);
    sortino_loss(&run.returns, ppy, cfg.training.return_weight)
}

/// Settings a resumed run must share with its checkpoint (names the first that differs).
fn check_resumable(old: &TrainConfig, new: &TrainConfig) -> Result<()> {
    let same = |field: &str, a: Value, b: Value| {
        if a == b {
            Ok(())
        } else {
            Err(TrainError::config(
                field,
                format!("differs from the checkpoint being resumed ({a} vs {b})"),
            ))
        }
    };
    same("symbols", jv(&old.symbols), jv(&new.symbols))?;
    same("interval", jv(&old.interval), jv(&new.interval))?;
    same("features", jv(&old.features), jv(&new.features))?;
    same("model", jv(&old.model), jv(&new.model))?;
    same("decode", jv(&old.decode), jv(&new.decode))?;
    same("splits", jv(&old.splits), jv(&new.splits))?;
    // Epochs measured under different lag, fees or fill rule must not compete for "best".
    same("sim", jv(&old.sim), jv(&new.sim))?;
    Ok(())
}

/// Deletes epoch weights outside the top `k` by the target symbol's validation Sortino (ties
/// keep the earlier epoch; the best epoch is always kept).
fn prune_epochs(meta: &CheckpointMeta, dir: &Path, primary: &str, k: usize) -> Result<()> {
    let mut ranked: Vec<(usize, f64)> = meta
        .epochs
        .iter()
        .map(|r| {
            let s = r.val_sortino.get(primary).copied().unwrap_or(f64::NAN);
            (r.epoch, if s.is_nan() { f64::NEG_INFINITY } else { s })
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, (epoch, _)) in ranked.iter().enumerate() {
        let keep = i < k || meta.best_epoch == Some(*epoch);
        let f = dir.join(checkpoint::epoch_weights(*epoch));
        if !keep && f.is_file() {
            std::fs::remove_file(&f).map_err(|e| TrainError::file(&f, e))?;
        }
    }
    Ok(())
}

fn jv<T: serde::Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// Loads the data for `cfg` (fitting normalisers on the training split, or reusing a resumed
/// checkpoint's) and trains. Writes the checkpoint directory `opts.out`.
pub fn train(cfg: &TrainConfig, opts: &TrainOptions, sink: &mut dyn Sink) -> Result<TrainOutcome> {
    let resumed = match &opts.resume {
        Some(dir) => {
            let meta = CheckpointMeta::load(dir)?;
            check_resumable(&meta.config, cfg)?;
            Some((dir.clone(), meta))
        }
        None => None,
    };
    let ds = match &resumed {
        Some((dir, meta)) => {
            let ds = Dataset::load(
                cfg,
                &opts.store,
                Some(&meta.splits),
                Normalisers::Saved(&meta.normalisers),
            )?;
            meta.check_schema(dir, &ds.schema)?;
            if ds.data_hash != meta.data_hash {
                eprintln!(
                    "tradelab-train: warning: bars inside the checkpoint's splits changed since it was written (data hash {} vs {})",
                    ds.data_hash, meta.data_hash
                );
            }
            ds
        }
        None => Dataset::load(cfg, &opts.store, None, Normalisers::FitOnTrain)?,
    };
    train_on(cfg, &ds, opts, resumed, sink)
}

/// Trains on an already built dataset (tests and library use).
pub fn train_on(
    cfg: &TrainConfig,
    ds: &Dataset,
    opts: &TrainOptions,
    resumed: Option<(PathBuf, CheckpointMeta)>,
    sink: &mut dyn Sink,
) -> Result<TrainOutcome> {
    let t0 = Instant::now();
    if cfg.training.deterministic && opts.device != Device::Cpu {
        return Err(TrainError::Usage(
            "deterministic mode runs on the CPU only (tch 0.24 cannot switch libtorch to deterministic CUDA algorithms); use --device cpu".into(),
        ));
    }
    crate::environment::apply_threads(cfg.threads, cfg.training.deterministic)?;
    let env = crate::environment::environment(opts.device, cfg.training.deterministic);
    let seq = cfg.model.seq_len as usize;
    let interval = ds.interval;
    let sim = cfg.sim.params(interval);
    sim.validate()?;
    ds.check_split(Split::Val, 2 * cfg.sim.decision_lag + 24)?;
    let windows = ds.train_windows(seq, cfg.training.window_stride);
    if windows.is_empty() {
        return Err(TrainError::Data(format!(
            "no training windows of {seq} valid bars before {} (features need warm-up bars; lower splits.valDays/testDays or add data)",
            ds.bounds.train_end
        )));
    }
    let out = opts.out.clone();
    let resuming_here = resumed.as_ref().is_some_and(|(d, _)| same_dir(d, &out));
    if out.join(checkpoint::META_FILE).exists() && !resuming_here {
        return Err(TrainError::Usage(format!(
            "{} already holds a checkpoint; choose another --out or pass --resume {}",
            out.display(),
            out.display()
        )));
    }
    std::fs::create_dir_all(&out).map_err(|e| TrainError::file(&out, e))?;

    let (mut vs, model) = build_model(cfg, ds.n_features, opts.device);
    let start_epoch = match &resumed {
        Some((dir, meta)) => {
            checkpoint::load_weights(&mut vs, dir, LAST_WEIGHTS)?;
            if meta.epochs.len() >= cfg.training.epochs {
                return Err(TrainError::config(
                    "training.epochs",
                    format!("the checkpoint has already trained {} epochs; raise training.epochs to continue", meta.epochs.len()),
                ));
            }
            if !resuming_here {
                // The new directory carries the old one's weights and its test ledger (the
                // global lock lives in the registry; the ledger keeps the local record).
                let mut carried = vec![
                    BEST_WEIGHTS.to_string(),
                    checkpoint::TEST_LEDGER.to_string(),
                ];
                carried.extend(
                    meta.epochs
                        .iter()
                        .map(|r| checkpoint::epoch_weights(r.epoch)),
                );
                for name in carried.iter().filter(|n| dir.join(n).is_file()) {
                    std::fs::copy(dir.join(name), out.join(name))
                        .map_err(|e| TrainError::file(out.join(name), e))?;
                }
            }
            meta.epochs.len()
        }
        None => 0,
    };
    let mut opt = Optimizer::new(&vs, &cfg.optimizer);
    let batch = cfg.training.batch_size.min(windows.len());
    let steps_per_epoch = cfg
        .training
        .steps_per_epoch
        .unwrap_or((windows.len() / batch).max(1));
    let epochs = cfg.training.epochs;
    let total_steps = epochs * steps_per_epoch;
    let params = param_count(&vs);
    let primary_rows = ds.symbols[0]
        .rows_between(ds.bounds.val_start, ds.bounds.val_end)
        .len();
    let cuda = tch::Cuda::is_available();
    sink.emit(json!({
        "event": "start",
        "device": device_name(opts.device),
        "cuda": cuda,
        "params": params,
        "trainWindows": windows.len(),
        "valBars": primary_rows,
        "features": ds.n_features,
        "splits": ds.bounds,
        "dataHash": ds.data_hash,
        "resumedFrom": resumed.as_ref().map(|(d, _)| d.display().to_string()),
        "startEpoch": start_epoch + 1,
        "config": cfg,
        "environment": env,
    }));

    let mut meta = match resumed {
        Some((_, mut m)) => {
            m.config = cfg.clone();
            // Epochs trained elsewhere keep a record of where.
            if let Some(old) = m.environment.take().filter(|old| *old != env) {
                eprintln!("tradelab-train: warning: resuming in another environment than the checkpoint's epochs were trained in; its epochs then do not share one environment (checkpoint.json earlierEnvironments)");
                m.earlier_environments.push(old);
            }
            m.environment = Some(env.clone());
            m
        }
        None => CheckpointMeta {
            format: checkpoint::FORMAT.into(),
            kind: "policy".into(),
            config: cfg.clone(),
            feature_schema: ds.schema.clone(),
            n_features: ds.n_features,
            normalisers: ds
                .symbols
                .iter()
                .map(|s| (s.symbol.clone(), s.normaliser.clone()))
                .collect(),
            symbols: ds.symbols.iter().map(|s| s.symbol.clone()).collect(),
            splits: ds.bounds.clone(),
            data_hash: ds.data_hash.clone(),
            code_version: checkpoint::code_version(),
            params,
            epochs: Vec::new(),
            best_epoch: None,
            created_at: checkpoint::now_iso(),
            updated_at: checkpoint::now_iso(),
            seal_hash: String::new(),
            band_forecaster_hash: checkpoint::band_forecaster_dir(cfg)
                .map(|d| crate::forecaster::weights_hash(Path::new(&d)))
                .transpose()?,
            environment: Some(env.clone()),
            earlier_environments: Vec::new(),
        },
    };
    let primary = ds.symbols[0].symbol.clone();
    let mut best = meta
        .best_epoch
        .and_then(|e| meta.epochs.iter().find(|r| r.epoch == e))
        .map(|r| {
            (
                r.epoch,
                r.val_sortino
                    .get(&primary)
                    .copied()
                    .unwrap_or(f64::NEG_INFINITY),
                r.val.clone(),
            )
        });

    // Window order: a pure function of the seed (and the epoch a resumed run starts at).
    let mut rng =
        SplitMix64::new(cfg.training.seed ^ (start_epoch as u64).wrapping_mul(0x9E37_79B9));
    let mut order: Vec<usize> = (0..windows.len()).collect();
    rng.shuffle(&mut order);
    let mut cursor = 0usize;
    let mut step_losses = Vec::new();
    let progress_every = (steps_per_epoch / 10).max(1);

    for epoch in start_epoch..epochs {
        let te = Instant::now();
        let mut loss_sum = 0.0;
        let mut temp = cfg.training.temperature.start;
        for step in 0..steps_per_epoch {
            let global = epoch * steps_per_epoch + step;
            let mut items = Vec::with_capacity(batch);
            while items.len() < batch {
                if cursor == order.len() {
                    rng.shuffle(&mut order);
                    cursor = 0;
                }
                items.push(windows[order[cursor]]);
                cursor += 1;
            }
            let b = make_batch(ds, &items, seq, opts.device);
            temp = temperature(
                cfg.training.temperature.start,
                cfg.training.temperature.end,
                global,
                total_steps,
            );
            let lr_mult = lr_multiplier(&cfg.optimizer, global, total_steps);
            opt.zero_grad();
            let parts = batch_loss(&model, &b, cfg, temp, true);
            let loss = f64::try_from(&parts.loss).unwrap_or(f64::NAN);
            if !loss.is_finite() {
                return Err(TrainError::Data(format!(
                    "loss became {loss} at epoch {} step {} (lower optimizer.lr/adamLr or raise training.temperature.end)",
                    epoch + 1,
                    step + 1
                )));
            }
            parts.loss.backward();
            opt.clip_grad_norm(cfg.optimizer.grad_clip);
            opt.step(lr_mult);
            loss_sum += loss;
            step_losses.push(loss);
            if (step + 1) % progress_every == 0 || step + 1 == steps_per_epoch {
                let secs = te.elapsed().as_secs_f64();
                sink.emit(json!({
                    "event": "progress",
                    "epoch": epoch + 1,
                    "epochs": epochs,
                    "step": step + 1,
                    "steps": steps_per_epoch,
                    "loss": loss,
                    "softSortino": f64::try_from(&parts.sortino).unwrap_or(f64::NAN),
                    "lr": if cfg.optimizer.kind == OptimKind::Muon { cfg.optimizer.lr } else { cfg.optimizer.adam_lr } * lr_mult,
                    "adamLr": cfg.optimizer.adam_lr * lr_mult,
                    "temperature": temp,
                    "samplesPerSec": ((step + 1) * batch) as f64 / secs.max(1e-9),
                }));
            }
        }
        // --- exact validation on every symbol ---
        let mut val_sortino = BTreeMap::new();
        let mut primary_summary = Value::Null;
        let mut primary_sortino = f64::NEG_INFINITY;
        for si in 0..ds.symbols.len() {
            let ev = evaluate_split(&model, ds, si, Split::Val, cfg, opts.device)?;
            val_sortino.insert(ev.symbol.clone(), ev.sortino());
            if si == 0 {
                primary_summary = ev.summary(interval.name());
                primary_sortino = ev.sortino();
            }
        }
        let is_best = best.as_ref().is_none_or(|(_, s, _)| primary_sortino > *s);
        let e1 = epoch + 1;
        checkpoint::save_weights(&vs, &out, LAST_WEIGHTS)?;
        checkpoint::save_weights(&vs, &out, &checkpoint::epoch_weights(e1))?;
        if is_best {
            checkpoint::save_weights(&vs, &out, BEST_WEIGHTS)?;
            best = Some((e1, primary_sortino, primary_summary.clone()));
            meta.best_epoch = Some(e1);
        }
        let train_loss = loss_sum / steps_per_epoch as f64;
        meta.epochs.push(EpochRecord {
            epoch: e1,
            train_loss,
            temperature: temp,
            val: primary_summary.clone(),
            val_sortino: val_sortino.clone(),
            seconds: te.elapsed().as_secs_f64(),
        });
        meta.updated_at = checkpoint::now_iso();
        meta.save(&out)?;
        if let Some(k) = cfg.training.keep_epochs {
            prune_epochs(&meta, &out, &primary, k)?;
        }
        sink.emit(json!({
            "event": "epoch",
            "epoch": e1,
            "epochs": epochs,
            "trainLoss": train_loss,
            "val": primary_summary,
            "valSortino": val_sortino,
            "best": is_best,
            "seconds": te.elapsed().as_secs_f64(),
        }));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let (best_epoch, best_val) = match best {
        Some((e, _, v)) => (Some(e), v),
        None => (None, Value::Null),
    };
    sink.emit(json!({
        "event": "done",
        "checkpoint": out.display().to_string(),
        "bestEpoch": best_epoch,
        "val": best_val,
        "seconds": seconds,
    }));
    Ok(TrainOutcome {
        dir: out,
        best_epoch,
        step_losses,
        best_val,
        seconds,
    })
}

pub fn device_name(d: Device) -> String {
    match d {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
