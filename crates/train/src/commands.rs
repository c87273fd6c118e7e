//! The `eval` and `bench` commands (train lives in [`crate::trainer`]).
use crate::checkpoint::{self, CheckpointMeta, LedgerEntry};
use crate::config::{Arch, ModelConfig, OptimConfig, TrainConfig};
use crate::data::{Batch, Dataset, Normalisers, Split};
use crate::error::{Result, TrainError};
use crate::eval::{evaluate_split_as, Embedding, SplitEval};
use crate::optim::Optimizer;
use crate::serve::{ServeRequest, ServeWindow};
use crate::trainer::{batch_loss, build_model, device_name};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Instant;
use tch::{Device, Kind, Tensor};

/// Evaluates a checkpoint's best weights on `split` with the exact simulator. The test split is
/// locked: every look is recorded in `<dir>/test-ledger.json` and, with `registry`, in the run
/// registry's global test lock (keyed by symbol, interval and window, so a new checkpoint
/// directory or an identical retrain cannot reset it). A second look is refused unless
/// `allow_burned` (the result then says `testBurned: true`).
#[allow(clippy::too_many_arguments)]
pub fn eval_checkpoint(
    dir: &Path,
    split: Split,
    epoch: Option<usize>,
    allow_burned: bool,
    store: Option<&Path>,
    device: Device,
    registry: Option<&Path>,
) -> Result<Value> {
    eval_symbol(
        dir,
        split,
        epoch,
        None,
        allow_burned,
        store,
        device,
        registry,
    )
}

/// As `eval_checkpoint`, on `symbol` (None = the target). A trained symbol is evaluated with the
/// others as `otherSymbols`, and its test look is claimed for all trained symbols, as for the
/// target. A symbol the checkpoint never trained on is a **transfer**: its normaliser is fitted
/// on its own rows in the checkpoint's training window (`Dataset::load_transfer`), a global
/// policy decides with the mean symbol embedding, the result says `transfer: true` and
/// `transferLabel`, and its test look is claimed for that symbol alone (once, like any other).
#[allow(clippy::too_many_arguments)]
pub fn eval_symbol(
    dir: &Path,
    split: Split,
    epoch: Option<usize>,
    symbol: Option<&str>,
    allow_burned: bool,
    store: Option<&Path>,
    device: Device,
    registry: Option<&Path>,
) -> Result<Value> {
    if split == Split::Train {
        return Err(TrainError::Usage("--split must be val or test".into()));
    }
    if let Some(e) = crate::ensemble::Ensemble::load(dir)? {
        let req = ServeRequest {
            dir,
            epoch,
            symbol,
            window: ServeWindow::Split(split),
            store,
            device,
            registry,
            allow_burned,
            command: "eval",
        };
        return eval_ensemble(&e, &req, split);
    }
    let meta = CheckpointMeta::load(dir)?;
    let weights = meta.weights_for(dir, epoch)?;
    let cfg = &meta.config;
    let symbol = symbol.unwrap_or(&cfg.symbols[0]).to_string();
    let trained = cfg.symbols.iter().position(|x| *x == symbol);
    let transfer = trained.is_none();
    let looked: Vec<String> = if transfer {
        vec![symbol.clone()]
    } else {
        cfg.symbols.clone()
    };
    let mut burned = split == Split::Test
        && checkpoint::check_local_ledger(dir, &looked, &cfg.symbols, allow_burned)?;
    crate::environment::apply_threads(cfg.threads, cfg.training.deterministic)?;
    let device = crate::environment::device_for(device, cfg.training.deterministic);
    let store = store
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cfg.store.clone().into());
    let ds = if transfer {
        Dataset::load_transfer(cfg, &store, &meta.splits, &symbol, false)?
    } else {
        Dataset::load(
            cfg,
            &store,
            Some(&meta.splits),
            Normalisers::Saved(&meta.normalisers),
        )?
    };
    meta.check_schema(dir, &ds.schema)?;
    // The checkpoint's data hash covers its trained symbols only.
    let hash_matches = (!transfer).then(|| ds.data_hash == meta.data_hash);
    if let (Split::Test, Some(reg)) = (split, registry) {
        burned |= checkpoint::claim_global_test_look(
            reg,
            &meta,
            &looked,
            ds.interval.name(),
            &ds.data_hash,
            format!("eval {}", dir.display()),
            allow_burned,
        )?;
    }
    let (mut vs, model) = build_model(cfg, ds.n_features, device);
    checkpoint::load_weights(&mut vs, dir, &weights)?;
    let mut main = None;
    let mut others = Vec::new();
    for si in 0..ds.symbols.len() {
        let emb = if transfer {
            Embedding::Mean
        } else {
            Embedding::Trained(si)
        };
        let ev = evaluate_split_as(&model, &ds, si, emb, split, cfg, device)?;
        if ds.symbols[si].symbol == symbol {
            main = Some(ev);
        } else {
            others.push(ev.summary(ds.interval.name()));
        }
    }
    let main = main.ok_or_else(|| TrainError::Data(format!("{symbol} is not in the dataset")))?;
    let fitted_rows = ds
        .symbols
        .iter()
        .find(|s| s.symbol == symbol)
        .map(|s| s.normaliser.fitted_rows);
    if split == Split::Test {
        checkpoint::append_ledger(
            dir,
            LedgerEntry {
                at: checkpoint::now_iso(),
                data_hash: ds.data_hash.clone(),
                window: main.window(),
                acknowledged_burned: burned,
                symbols: Some(looked),
            },
        )?;
    }
    let mut result = main.full(ds.interval.name(), burned);
    if let Value::Object(m) = &mut result {
        m.insert("dataHash".into(), json!(ds.data_hash));
        m.insert("dataHashMatches".into(), json!(hash_matches));
        m.insert("bestEpoch".into(), json!(meta.best_epoch));
        // Validation chose the best epoch: its numbers are a selection window, and say so.
        let n = meta.epochs.len();
        let selection = (split == Split::Val).then(|| {
            format!(
                "selection window, best of {n} epoch{}",
                if n == 1 { "" } else { "s" }
            )
        });
        m.insert("selection".into(), json!(selection));
        m.insert("otherSymbols".into(), json!(others));
        m.insert("transfer".into(), json!(transfer));
        m.insert(
            "transferLabel".into(),
            json!(transfer.then(|| crate::serve::transfer_label(&symbol))),
        );
        m.insert("trainedSymbols".into(), json!(cfg.symbols));
        m.insert("normaliserFittedRows".into(), json!(fitted_rows));
        m.insert("epoch".into(), json!(epoch.or(meta.best_epoch)));
        insert_stress(m, &main, &cfg.sim.params(ds.interval))?;
    }
    if hash_matches == Some(false) {
        eprintln!("tradelab-train: warning: bars inside the checkpoint's splits changed since training (data hash differs)");
    }
    let env = crate::environment::environment(device, cfg.training.deterministic);
    Ok(
        json!({ "event": "eval", "split": split.name(), "checkpoint": dir.display().to_string(), "result": result, "environment": env }),
    )
}

/// The same actions under harsher and softer assumptions, and the seed's robust score.
fn insert_stress(
    m: &mut serde_json::Map<String, Value>,
    ev: &SplitEval,
    params: &tradelab_sim::SimParams,
) -> Result<()> {
    let stress = tradelab_sim::stress_table(&ev.bars, &ev.actions, params)?;
    let robust =
        tradelab_sim::robust_over_assumptions(&ev.bars, &ev.actions, params, &ROBUST_WINDOW_DAYS)?;
    m.insert("stress".into(), json!(stress));
    m.insert("robust".into(), json!(robust));
    Ok(())
}

/// `eval` of an ensemble: its served actions on the split (every member served with its own
/// normalisers and features, `crate::serve`), simulated with the shared parameters. Shaped like
/// a checkpoint's eval result, with `ensemble` naming the members.
fn eval_ensemble(
    e: &crate::ensemble::Ensemble,
    req: &ServeRequest<'_>,
    split: Split,
) -> Result<Value> {
    // `e` is loaded already: serve it as is (not `serve`, which would load it again).
    let served = crate::serve::serve_ensemble(req, e)?;
    let interval = served.interval.name();
    let result = tradelab_sim::simulate(&served.bars, &served.actions, &served.params)?;
    let ev = SplitEval {
        symbol: served.symbol.clone(),
        split,
        bars: served.bars,
        actions: served.actions,
        result,
    };
    let mut out = ev.full(interval, served.burned);
    if let Value::Object(m) = &mut out {
        m.insert("dataHash".into(), json!(served.data_hash));
        m.insert("dataHashMatches".into(), json!(served.data_hash_matches));
        m.insert("bestEpoch".into(), Value::Null);
        let n = e.members.len();
        // Each member's best epoch was chosen on val (and a study's members were too).
        let selection = (split == Split::Val).then(|| {
            format!("selection window, ensemble of {n} members whose epochs and membership were chosen on it")
        });
        m.insert("selection".into(), json!(selection));
        m.insert("otherSymbols".into(), json!([]));
        m.insert("transfer".into(), json!(served.transfer));
        m.insert(
            "transferLabel".into(),
            json!(served
                .transfer
                .then(|| crate::serve::transfer_label(&served.symbol))),
        );
        m.insert("trainedSymbols".into(), json!(served.meta.config.symbols));
        m.insert(
            "normaliserFittedRows".into(),
            json!(served.normaliser.fitted_rows),
        );
        m.insert("epoch".into(), Value::Null);
        m.insert("ensemble".into(), json!(served.ensemble));
        insert_stress(m, &ev, &served.params)?;
    }
    let env =
        crate::environment::environment(served.device, served.meta.config.training.deterministic);
    Ok(
        json!({ "event": "eval", "split": split.name(), "checkpoint": req.dir.display().to_string(), "result": out, "environment": env }),
    )
}

/// Trailing windows of the robust score (the seed's evaluation windows).
pub const ROBUST_WINDOW_DAYS: [f64; 5] = [20.0, 30.0, 45.0, 60.0, 90.0];

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub arch: Arch,
    pub batch: usize,
    pub seq: i64,
    pub features: usize,
    pub d_model: i64,
    pub layers: i64,
    pub heads: i64,
    pub kv_heads: i64,
    pub steps: usize,
    pub warmup: usize,
    pub threads: i32,
    pub device: Device,
}

/// Full training steps (forward, decode, differentiable simulator over T bars, Sortino loss,
/// backward, grad clip, Muon/AdamW update) on synthetic inputs of the given shape; `warmup`
/// steps are not timed. The PyTorch peer in scripts/bench/train does the same work.
pub fn bench(o: &BenchOptions) -> Result<Value> {
    tch::set_num_threads(o.threads);
    let cfg = TrainConfig {
        model: ModelConfig {
            arch: o.arch,
            d_model: o.d_model,
            layers: o.layers,
            heads: o.heads,
            kv_heads: o.kv_heads,
            window: o.seq,
            seq_len: o.seq,
            ..ModelConfig::default()
        },
        optimizer: OptimConfig {
            warmup_steps: 0,
            ..OptimConfig::default()
        },
        ..TrainConfig::from_json(r#"{"symbols":["BENCH/USDT"]}"#)?
    };
    cfg.validate()?;
    let (vs, model) = build_model(&cfg, o.features, o.device);
    let mut opt = Optimizer::new(&vs, &cfg.optimizer);
    let (b, t) = (o.batch as i64, o.seq);
    let dev = o.device;
    // A random walk with bar ranges (prices near 1, as the trainer scales them).
    let steps = Tensor::randn([b, t], (Kind::Float, dev)) * 0.01;
    let close = steps.cumsum(1, Kind::Float).exp();
    let open = close.roll([1], [1]);
    let wig = Tensor::rand([b, t], (Kind::Float, dev)) * 0.005;
    let batch = Batch {
        x: Tensor::randn([b, t, o.features as i64], (Kind::Float, dev)),
        symbol: Tensor::zeros([b], (Kind::Int64, dev)),
        high: open.maximum(&close) * (1.0 + &wig),
        low: open.minimum(&close) * (1.0 - &wig),
        band_lo: &close * 0.98,
        band_hi: &close * 1.02,
        open,
        close,
    };
    let mut run = |n: usize| {
        for _ in 0..n {
            opt.zero_grad();
            let parts = batch_loss(&model, &batch, &cfg, 0.005, true);
            parts.loss.backward();
            opt.clip_grad_norm(1.0);
            opt.step(1.0);
        }
        if let Device::Cuda(_) = dev {
            tch::Cuda::synchronize(0);
        }
    };
    run(o.warmup);
    let t0 = Instant::now();
    run(o.steps);
    let secs = t0.elapsed().as_secs_f64().max(1e-9);
    Ok(json!({
        "event": "bench",
        "arch": o.arch.name(),
        "batch": o.batch,
        "seq": o.seq,
        "features": o.features,
        "dModel": o.d_model,
        "layers": o.layers,
        "heads": o.heads,
        "kvHeads": o.kv_heads,
        "steps": o.steps,
        "samplesPerSec": (o.steps * o.batch) as f64 / secs,
        "stepsPerSec": o.steps as f64 / secs,
        "seconds": secs,
        "device": device_name(dev),
        "threads": o.threads,
        "params": crate::model::param_count(&vs),
    }))
}
