//! End-to-end tests on real bars from the bundled sample store (data/store, SOL/USDT 1h):
//! training lowers the loss, checkpoints round-trip, the test split is locked, the whole
//! bars → features → normaliser → model → decoded action path is causal, and re-runs repeat.
use std::path::{Path, PathBuf};
use tch::Device;
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_train::checkpoint::{self, CheckpointMeta, BEST_WEIGHTS};
use tradelab_train::commands::eval_checkpoint;
use tradelab_train::config::TrainConfig;
use tradelab_train::data::{make_batch, Dataset, Normalisers, Split};
use tradelab_train::eval::policy_actions;
use tradelab_train::events::{Collect, Quiet};
use tradelab_train::optim::Optimizer;
use tradelab_train::trainer::{batch_loss, build_model, train, train_on, TrainOptions};
use tradelab_train::TrainError;

fn store() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/store")
}

fn sol() -> Bars {
    tradelab_data::Store::open(store())
        .read(&Symbol::parse("SOL/USDT").unwrap(), Interval::H1)
        .unwrap()
}

/// A tiny model so the whole file runs in seconds on one CPU thread.
fn tiny(arch: &str) -> TrainConfig {
    TrainConfig::from_json(&format!(
        r#"{{"symbols":["SOL/USDT"],"splits":{{"valDays":10,"testDays":5}},
            "model":{{"arch":"{arch}","dModel":16,"layers":1,"heads":2,"kvHeads":1,"window":16,"seqLen":24}},
            "optimizer":{{"kind":"muon","lr":0.02,"adamLr":0.01,"warmupSteps":2}},
            "training":{{"epochs":1,"batchSize":8,"stepsPerEpoch":4,"seed":3}},
            "threads":1}}"#
    ))
    .unwrap()
}

fn assert_close(a: &serde_json::Value, b: &serde_json::Value) {
    let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
    assert_eq!(a.len(), b.len());
    for (k, x) in a {
        match (x.as_f64(), b[k].as_f64()) {
            (Some(x), Some(y)) => {
                assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{k}: {x} vs {y}")
            }
            _ => assert_eq!(x, &b[k], "{k}"),
        }
    }
}

fn opts(out: &Path) -> TrainOptions {
    TrainOptions {
        out: out.to_path_buf(),
        device: Device::Cpu,
        resume: None,
        store: store(),
    }
}

#[test]
fn training_lowers_the_loss_on_real_bars() {
    let mut cfg = tiny("nano");
    cfg.optimizer.kind = tradelab_train::config::OptimKind::Adamw;
    let ds = Dataset::from_bars(
        &cfg,
        vec![("SOL/USDT".into(), sol())],
        None,
        Normalisers::FitOnTrain,
    )
    .unwrap();
    let windows = ds.train_windows(24, 97);
    let batch = make_batch(&ds, &windows[..16], 24, Device::Cpu);
    let (vs, model) = build_model(&cfg, ds.n_features, Device::Cpu);
    let mut opt = Optimizer::new(&vs, &cfg.optimizer);
    let loss_at = |m: &_| {
        f64::try_from(tch::no_grad(|| batch_loss(m, &batch, &cfg, 0.002, false)).loss).unwrap()
    };
    let before = loss_at(&model);
    for _ in 0..40 {
        opt.zero_grad();
        batch_loss(&model, &batch, &cfg, 0.002, true)
            .loss
            .backward();
        opt.clip_grad_norm(1.0);
        opt.step(1.0);
    }
    let after = loss_at(&model);
    assert!(
        after < before - 0.5,
        "loss did not decrease: {before} -> {after}"
    );
}

#[test]
fn checkpoint_round_trips_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    let cfg = tiny("nano");
    let mut events = Collect::default();
    let res = train(&cfg, &opts(&out), &mut events).unwrap();
    assert_eq!(res.best_epoch, Some(1));
    let kinds: Vec<&str> = events
        .0
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"start"));
    assert!(kinds.contains(&"progress") && kinds.contains(&"epoch"));
    assert_eq!(kinds.last(), Some(&"done"));

    let meta = CheckpointMeta::load(&out).unwrap();
    assert_eq!(meta.config, cfg);
    assert_eq!(meta.epochs.len(), 1);
    assert_eq!(meta.data_hash.len(), 64);
    assert!(meta.code_version.starts_with("tradelab-train "));
    assert!(meta.normalisers.contains_key("SOL/USDT"));
    // Where it was trained: the start event and checkpoint.json carry the same environment.
    let env = meta
        .environment
        .clone()
        .expect("checkpoint.json records its environment");
    let lt = env.libtorch.as_ref().expect("with libtorch fields");
    assert!(lt.version.starts_with("2.") && lt.threads == 1, "{lt:?}");
    assert!(
        !env.cpu.is_empty() && !env.simd.is_empty() && env.device == "cpu" && !env.deterministic
    );
    assert_eq!(
        events.0[0]["environment"],
        serde_json::to_value(&env).unwrap()
    );

    // Reloading the best weights reproduces the validation run exactly.
    let ev = eval_checkpoint(
        &out,
        Split::Val,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap();
    let r = &ev["result"];
    assert_eq!(
        ev["environment"]["libtorch"]["version"],
        serde_json::json!(lt.version)
    );
    // (JSON read back from disk may differ in the last bit: serde_json parses floats fast, not exactly.)
    assert_close(&r["metrics"], &meta.epochs[0].val["metrics"]);
    assert_eq!(
        r["assumptions"]["text"],
        "lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760"
    );
    assert_eq!(r["window"]["split"], "val");
    assert_eq!(r["testBurned"], false);
    assert_eq!(r["dataHashMatches"], true);
    assert_eq!(
        r["curve"]["equity"].as_array().unwrap().len(),
        r["window"]["bars"].as_u64().unwrap() as usize
    );

    // Resume continues at epoch 2 from last.safetensors, in the same directory.
    let mut cfg2 = cfg.clone();
    cfg2.training.epochs = 2;
    let o2 = TrainOptions {
        resume: Some(out.clone()),
        ..opts(&out)
    };
    train(&cfg2, &o2, &mut Quiet).unwrap();
    assert_eq!(CheckpointMeta::load(&out).unwrap().epochs.len(), 2);
    // Same epochs again: nothing left to train, said plainly.
    let e = train(&cfg2, &o2, &mut Quiet).unwrap_err();
    assert!(e.to_string().contains("training.epochs"), "{e}");
    // A fresh run refuses to overwrite a checkpoint.
    let e = train(&cfg, &opts(&out), &mut Quiet).unwrap_err();
    assert!(e.to_string().contains("already holds a checkpoint"), "{e}");

    // A checkpoint whose features differ from the data's is refused, naming the difference.
    let mut meta = CheckpointMeta::load(&out).unwrap();
    meta.config.features = Some(serde_json::json!({"rsi": 10}));
    meta.save(&out).unwrap();
    let e = eval_checkpoint(
        &out,
        Split::Val,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("feature schema") && msg.contains("rsi_14") && msg.contains("rsi_10"),
        "{msg}"
    );

    // Weights that do not fit the model are an error, not a panic.
    let mut meta = CheckpointMeta::load(&out).unwrap();
    meta.config.features = None;
    meta.config.model.d_model = 32;
    meta.save(&out).unwrap();
    assert!(eval_checkpoint(
        &out,
        Split::Val,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None
    )
    .is_err());

    // checkpoint.json edited by hand (splits moved so `val` is the test window): refused, sealed.
    let file = out.join("checkpoint.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let (ts, te) = (
        v["splits"]["testStart"].clone(),
        v["splits"]["testEnd"].clone(),
    );
    v["splits"]["valStart"] = ts;
    v["splits"]["valEnd"] = te;
    std::fs::write(&file, serde_json::to_vec(&v).unwrap()).unwrap();
    let e = CheckpointMeta::load(&out).unwrap_err().to_string();
    assert!(
        e.contains("sealHash") && e.contains("edited by hand"),
        "{e}"
    );
}

#[test]
fn test_split_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    let mut cfg = tiny("classic");
    cfg.training.steps_per_epoch = Some(1);
    train(&cfg, &opts(&out), &mut Quiet).unwrap();
    let first = eval_checkpoint(
        &out,
        Split::Test,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap();
    assert_eq!(first["result"]["window"]["split"], "test");
    assert_eq!(first["result"]["testBurned"], false);
    let e = eval_checkpoint(
        &out,
        Split::Test,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, TrainError::TestBurned(_)), "{e}");
    assert!(e.to_string().contains("--i-know-test-is-burned"));
    let again = eval_checkpoint(
        &out,
        Split::Test,
        None,
        true,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap();
    assert_eq!(again["result"]["testBurned"], true);
    assert_eq!(again["result"]["metrics"], first["result"]["metrics"]);
    assert_eq!(checkpoint::read_ledger(&out).unwrap().len(), 2);
    // Validation stays open.
    assert!(eval_checkpoint(
        &out,
        Split::Val,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None
    )
    .is_ok());

    // The global lock: an identical retrain into a new directory has a fresh ledger, but the
    // registry knows the window was seen (by this checkpoint's look, or by a backtest).
    let reg = dir.path().join("runs.sqlite");
    let out2 = dir.path().join("ck2");
    let out3 = dir.path().join("ck3");
    train(&cfg, &opts(&out2), &mut Quiet).unwrap();
    train(&cfg, &opts(&out3), &mut Quiet).unwrap();
    let seen = eval_checkpoint(
        &out2,
        Split::Test,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    assert_eq!(seen["result"]["testBurned"], false);
    let e = eval_checkpoint(
        &out3,
        Split::Test,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap_err();
    assert!(matches!(e, TrainError::TestBurned(_)), "{e}");
    assert!(e.to_string().contains("first by `eval "), "{e}");
    assert!(
        checkpoint::read_ledger(&out3).unwrap().is_empty(),
        "a refused look records nothing"
    );
    let burned = eval_checkpoint(
        &out3,
        Split::Test,
        None,
        true,
        Some(&store()),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    assert_eq!(burned["result"]["testBurned"], true);
}

/// bars → features → saved normaliser → policy → decoded action at row t: altering every bar
/// after t leaves the actions at rows <= t unchanged (and does change later ones).
#[test]
fn actions_are_causal_end_to_end() {
    for arch in ["nano", "classic", "ftTransformer"] {
        let cfg = tiny(arch);
        let bars = sol();
        let ds = Dataset::from_bars(
            &cfg,
            vec![("SOL/USDT".into(), bars.clone())],
            None,
            Normalisers::FitOnTrain,
        )
        .unwrap();
        let (vs, model) = build_model(&cfg, ds.n_features, Device::Cpu);
        // Random non-zero head and projections so the output depends on the features.
        tch::no_grad(|| {
            for (_, mut v) in vs.variables() {
                let _ = v.normal_(0.0, 0.3);
            }
        });
        let rows = ds.symbols[0].rows_between(ds.bounds.val_start, ds.bounds.val_end);
        let t = rows.start + 100;
        let mut altered = bars.clone();
        for i in t + 1..altered.len() {
            let k = 1.0 + 0.05 * ((i % 7) as f64 - 3.0) / 3.0;
            altered.open[i] *= k;
            altered.close[i] *= k * 1.01;
            altered.high[i] = altered.high[i] * k * 1.03;
            altered.low[i] *= k * 0.98;
            altered.volume[i] *= 3.0;
        }
        let norms = ds
            .symbols
            .iter()
            .map(|s| (s.symbol.clone(), s.normaliser.clone()))
            .collect();
        let ds2 = Dataset::from_bars(
            &cfg,
            vec![("SOL/USDT".into(), altered)],
            Some(&ds.bounds),
            Normalisers::Saved(&norms),
        )
        .unwrap();
        let a = policy_actions(
            &model,
            &ds,
            0,
            rows.clone(),
            24,
            cfg.decode.min_gap,
            Device::Cpu,
        );
        let b = policy_actions(
            &model,
            &ds2,
            0,
            rows.clone(),
            24,
            cfg.decode.min_gap,
            Device::Cpu,
        );
        let upto = t - rows.start;
        for j in 0..=upto {
            assert_eq!(
                a.buy_price[j].to_bits(),
                b.buy_price[j].to_bits(),
                "{arch} row {j}"
            );
            assert_eq!(
                a.sell_price[j].to_bits(),
                b.sell_price[j].to_bits(),
                "{arch} row {j}"
            );
            assert_eq!(
                a.buy_frac[j].to_bits(),
                b.buy_frac[j].to_bits(),
                "{arch} row {j}"
            );
            assert_eq!(
                a.sell_frac[j].to_bits(),
                b.sell_frac[j].to_bits(),
                "{arch} row {j}"
            );
        }
        let later = (upto + 1..rows.len())
            .filter(|&j| a.buy_frac[j] != b.buy_frac[j])
            .count();
        assert!(
            later > 10,
            "{arch}: altering the future changed nothing after t either"
        );
    }
}

#[test]
fn same_numbers_on_rerun() {
    let cfg = tiny("nano");
    let ds = Dataset::from_bars(
        &cfg,
        vec![("SOL/USDT".into(), sol())],
        None,
        Normalisers::FitOnTrain,
    )
    .unwrap();
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let r = train_on(&cfg, &ds, &opts(&dir.path().join("ck")), None, &mut Quiet).unwrap();
        (r.step_losses, r.best_val["metrics"].clone())
    };
    let (l1, m1) = run();
    let (l2, m2) = run();
    assert_eq!(l1.len(), 4);
    assert_eq!(l1, l2);
    assert_eq!(m1, m2);
}

/// Deterministic mode pins libtorch to one thread whatever `threads` says and is recorded; a
/// checkpoint served twice (the `actions` command, two processes) writes identical files.
#[test]
fn deterministic_mode_is_recorded_and_served_actions_repeat() {
    let mut cfg = tiny("nano");
    cfg.threads = 2;
    cfg.training.deterministic = true;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    train(&cfg, &opts(&out), &mut Quiet).unwrap();
    let meta = CheckpointMeta::load(&out).unwrap();
    assert!(meta.config.training.deterministic);
    let env = meta.environment.unwrap();
    let lt = env.libtorch.unwrap();
    assert!(
        env.deterministic && lt.threads == 1 && lt.interop_threads == 1,
        "{lt:?}"
    );
    // Deterministic mode is CPU-only (tch 0.24 cannot make CUDA deterministic).
    let cuda = TrainOptions {
        device: Device::Cuda(0),
        ..opts(&dir.path().join("ck-cuda"))
    };
    assert!(train(&cfg, &cuda, &mut Quiet)
        .unwrap_err()
        .to_string()
        .contains("CPU only"));

    let bin = env!("CARGO_BIN_EXE_tradelab-train");
    let serve = |file: &str| {
        let f = dir.path().join(file);
        let o = std::process::Command::new(bin)
            .args(["actions", "--checkpoint"])
            .arg(&out)
            .args(["--split", "val", "--store"])
            .arg(store())
            .arg("--out")
            .arg(&f)
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let ev: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(ev["environment"]["deterministic"], true, "{ev}");
        std::fs::read(&f).unwrap()
    };
    let (a, b) = (serve("a.csv"), serve("b.csv"));
    assert!(a.len() > 1000);
    assert!(
        a == b,
        "the same checkpoint served twice wrote different actions"
    );
}

#[test]
fn global_policy_trains_across_symbols() {
    let mut cfg = tiny("nano");
    cfg.symbols = vec!["SOL/USDT".into(), "ETH/USDT".into()];
    cfg.training.steps_per_epoch = Some(2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    let mut ev = Collect::default();
    train(&cfg, &opts(&out), &mut ev).unwrap();
    let epoch = ev.0.iter().find(|e| e["event"] == "epoch").unwrap();
    assert!(epoch["valSortino"]["ETH/USDT"].is_number());
    let meta = CheckpointMeta::load(&out).unwrap();
    assert_eq!(meta.normalisers.len(), 2);
    // The symbol embedding exists only in the global variant.
    let mut vs = tch::nn::VarStore::new(Device::Cpu);
    let _m = tradelab_train::model::Policy::new(&vs.root(), &cfg.model, meta.n_features as i64, 2);
    checkpoint::load_weights(&mut vs, &out, BEST_WEIGHTS).unwrap();
    assert!(vs.variables().contains_key("embed_symbol"));
}

fn bars_of(sym: &str) -> Bars {
    tradelab_data::Store::open(store())
        .read(&Symbol::parse(sym).unwrap(), Interval::H1)
        .unwrap()
}

/// A global policy over two symbols serves each of them with its saved normaliser and embedding,
/// and a third symbol it never trained on as a labelled transfer: that symbol's normaliser is
/// fitted on its own rows inside the checkpoint's training window only (its mean is the mean over
/// exactly those rows; val/test bars do not move it), and its test split is locked per symbol.
#[test]
fn global_policy_serves_each_symbol_and_transfers_to_an_unseen_one() {
    use tradelab_train::commands::eval_symbol;
    use tradelab_train::serve::{serve, ServeRequest, ServeWindow};
    let mut cfg = tiny("nano");
    cfg.symbols = vec!["SOL/USDT".into(), "ETH/USDT".into()];
    cfg.training.steps_per_epoch = Some(2);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    let reg = dir.path().join("runs.sqlite");
    train(&cfg, &opts(&out), &mut Quiet).unwrap();
    let meta = CheckpointMeta::load(&out).unwrap();
    let sp = meta.splits.clone();
    let st = store();
    let req = |symbol: &'static str, window: ServeWindow| ServeRequest {
        dir: &out,
        epoch: None,
        symbol: Some(symbol),
        window,
        store: Some(&st),
        device: Device::Cpu,
        registry: Some(&reg),
        allow_burned: false,
        command: "actions",
    };
    let val = ServeWindow::Split(Split::Val);
    let mut decided = Vec::new();
    for sym in ["SOL/USDT", "ETH/USDT"] {
        let s = serve(&req(sym, val)).unwrap();
        let sum = s.summary(None);
        assert!(!sum.transfer && sum.transfer_label.is_none(), "{sym}");
        assert_eq!(sum.data_hash_matches, Some(true));
        assert_eq!(
            s.normaliser, meta.normalisers[sym],
            "{sym}: the saved normaliser"
        );
        assert!(sum.decided > 0);
        decided.push(s.actions.buy_price.clone());
    }
    // Each trained symbol decides with its own embedding and normaliser.
    assert_ne!(decided[0], decided[1]);

    let link = serve(&req("LINK/USDT", val)).unwrap();
    let sum = link.summary(None);
    assert!(sum.transfer);
    assert_eq!(
        sum.transfer_label.as_deref(),
        Some("transfer (not trained on LINK/USDT)")
    );
    assert_eq!(sum.data_hash_matches, None);
    assert_eq!(sum.trained_symbols, cfg.symbols);
    assert!(sum.decided > 0 && sum.rows == link.bars.len());
    assert!(!meta.normalisers.contains_key("LINK/USDT"));

    // The transfer normaliser: fitted on LINK's rows in [trainStart, trainEnd) and nothing else.
    let bars = bars_of("LINK/USDT");
    let rows = bars.ts.partition_point(|&t| t < sp.train_start)
        ..bars.ts.partition_point(|&t| t < sp.train_end);
    let n = &link.normaliser;
    assert_eq!(n.fitted_rows, (bars.ts[rows.start], bars.ts[rows.end - 1]));
    assert!(n.fitted_rows.1 < sp.train_end && sp.train_end < sp.val_start);
    let spec = tradelab_train::data::feature_spec(&cfg).unwrap();
    let frame = tradelab_features::build_features(&bars, Interval::H1, &spec, None).unwrap();
    assert_eq!(n.names, frame.names);
    for (j, col) in frame.columns.iter().enumerate() {
        let v: Vec<f64> = col[rows.clone()]
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            (n.mean[j] - mean).abs() <= 1e-9 * mean.abs().max(1.0),
            "{}: normaliser mean {} vs training-window mean {mean}",
            frame.names[j],
            n.mean[j]
        );
    }
    // Validation and test bars never shape it: wreck them and fit again.
    let mut wrecked = bars.clone();
    for i in rows.end..wrecked.len() {
        wrecked.close[i] *= 3.0;
        wrecked.high[i] *= 3.5;
        wrecked.volume[i] *= 10.0;
    }
    let again = Dataset::transfer_from_bars(&cfg, "LINK/USDT", wrecked, &sp, true).unwrap();
    assert_eq!(&again.symbols[0].normaliser, n);
    // A symbol without bars in the training window is refused, naming it.
    let late = bars.slice(bars.ts.partition_point(|&t| t < sp.val_start)..bars.len());
    let e = Dataset::transfer_from_bars(&cfg, "LINK/USDT", late, &sp, true).unwrap_err();
    assert!(
        e.to_string()
            .contains("LINK/USDT has 0 bars inside the checkpoint's training window"),
        "{e}"
    );

    // A mistyped symbol is read as a transfer: the error says which symbols the checkpoint has.
    let e = serve(&req("LNK/USDT", val)).unwrap_err().to_string();
    assert!(
        e.contains("LNK/USDT is not one of the checkpoint's symbols (SOL/USDT, ETH/USDT)"),
        "{e}"
    );

    // eval --symbol: the transfer's validation equals simulating the served actions.
    let ev = eval_symbol(
        &out,
        Split::Val,
        None,
        Some("LINK/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    let r = &ev["result"];
    assert_eq!(r["symbol"], "LINK/USDT");
    assert_eq!(r["transfer"], true);
    assert_eq!(r["transferLabel"], "transfer (not trained on LINK/USDT)");
    assert_eq!(r["otherSymbols"].as_array().unwrap().len(), 0);
    assert!(r["dataHashMatches"].is_null());
    let sim = tradelab_sim::simulate(&link.bars, &link.actions, &link.params).unwrap();
    assert_eq!(
        r["metrics"]["endEquity"].as_f64(),
        Some(sim.metrics.curve.end_equity)
    );
    // A trained non-target symbol: the others are reported beside it, no transfer label.
    let ev = eval_symbol(
        &out,
        Split::Val,
        None,
        Some("ETH/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    assert_eq!(ev["result"]["symbol"], "ETH/USDT");
    assert_eq!(ev["result"]["transfer"], false);
    assert_eq!(ev["result"]["otherSymbols"][0]["symbol"], "SOL/USDT");

    // The test lock, per symbol: the transfer's test split once, then refused (checkpoint ledger
    // and registry alike); the target's own test split is a different look.
    let t1 = eval_symbol(
        &out,
        Split::Test,
        None,
        Some("LINK/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    assert_eq!(t1["result"]["testBurned"], false);
    assert_eq!(t1["result"]["transfer"], true);
    let e = eval_symbol(
        &out,
        Split::Test,
        None,
        Some("LINK/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap_err();
    assert!(matches!(e, TrainError::TestBurned(_)), "{e}");
    let ledger = checkpoint::read_ledger(&out).unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].symbols, Some(vec!["LINK/USDT".to_string()]));
    // Serving LINK's test window is the same look, refused too.
    let e = serve(&req("LINK/USDT", ServeWindow::Split(Split::Test))).unwrap_err();
    assert!(matches!(e, TrainError::TestBurned(_)), "{e}");
    // Another checkpoint's look at LINK's test window goes through the registry's lock.
    let out2 = dir.path().join("ck2");
    train(&cfg, &opts(&out2), &mut Quiet).unwrap();
    let e = eval_symbol(
        &out2,
        Split::Test,
        None,
        Some("LINK/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap_err();
    assert!(matches!(e, TrainError::TestBurned(_)), "{e}");
    assert!(e.to_string().contains("LINK/USDT"), "{e}");
    let t = eval_symbol(
        &out,
        Split::Test,
        None,
        None,
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap();
    assert_eq!(t["result"]["symbol"], "SOL/USDT");
    assert_eq!(t["result"]["testBurned"], false);
    let e = eval_symbol(
        &out,
        Split::Test,
        None,
        Some("ETH/USDT"),
        false,
        Some(&st),
        Device::Cpu,
        Some(&reg),
    )
    .unwrap_err();
    assert!(
        matches!(e, TrainError::TestBurned(_)),
        "a trained symbol's test look is the checkpoint's: {e}"
    );
}

#[test]
fn binary_reports_errors_as_json() {
    let bin = env!("CARGO_BIN_EXE_tradelab-train");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.json");
    std::fs::write(
        &cfg,
        r#"{"symbols":["SOL/USDT"],"model":{"dModel":"wide"}}"#,
    )
    .unwrap();
    let o = std::process::Command::new(bin)
        .args(["train", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let line = String::from_utf8(o.stdout).unwrap();
    let ev: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(ev["event"], "error");
    assert!(
        ev["message"].as_str().unwrap().contains("model.dModel"),
        "{ev}"
    );
    assert!(String::from_utf8(o.stderr)
        .unwrap()
        .contains("model.dModel"));
    let o = std::process::Command::new(bin)
        .args(["eval", "--split", "later"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = std::process::Command::new(bin)
        .args([
            "bench",
            "--arch",
            "nano",
            "--batch",
            "2",
            "--seq",
            "8",
            "--features",
            "3",
            "--steps",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let ev: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(ev["event"], "bench");
    assert!(ev["samplesPerSec"].as_f64().unwrap() > 0.0);
}

/// `tradelab-train decide` (paper and live trading's decision process): bars pushed one at a
/// time after the store's history give, row for row, the actions `serve` gives on the stored
/// bars; a bar of the locked test split and a changed re-sent bar are refused, and the process
/// keeps answering.
#[test]
fn decide_bar_by_bar_equals_served_actions() {
    use std::io::{BufRead, BufReader, Write};
    use tradelab_train::serve::{serve, ServeRequest, ServeWindow};
    let cfg = tiny("nano");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ck");
    train(&cfg, &opts(&out), &mut Quiet).unwrap();
    let meta = CheckpointMeta::load(&out).unwrap();
    let st = store();
    let served = serve(&ServeRequest {
        dir: &out,
        epoch: None,
        symbol: None,
        window: ServeWindow::Split(Split::Val),
        store: Some(&st),
        device: Device::Cpu,
        registry: None,
        allow_burned: false,
        command: "actions",
    })
    .unwrap();
    let b = &served.bars;
    let n = 48.min(b.len());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tradelab-train"))
        .args(["decide", "--checkpoint"])
        .arg(&out)
        .arg("--store")
        .arg(&st)
        .args(["--history-until", &b.ts[0].to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(ready["event"], "ready", "{ready}");
    assert!(ready["result"]["lastHistoryTs"].as_i64().unwrap() < b.ts[0]);
    assert!(ready["result"]["historyBars"].as_u64().unwrap() > 24);
    let mut ask = |req: serde_json::Value| -> serde_json::Value {
        writeln!(stdin, "{req}").unwrap();
        serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap()
    };
    let not_yet = ask(serde_json::json!({ "decide": b.ts[0] }));
    assert_eq!(
        not_yet["event"], "error",
        "bar 0 was not pushed yet: {not_yet}"
    );
    let bar = |i: usize| serde_json::json!({ "push": { "ts": [b.ts[i]], "open": [b.open[i]], "high": [b.high[i]], "low": [b.low[i]], "close": [b.close[i]], "volume": [b.volume[i]] } });
    let opt = |x: f64| x.is_finite().then_some(x);
    let mut decided = 0;
    for i in 0..n {
        assert_eq!(ask(bar(i))["event"], "pushed");
        let d = ask(serde_json::json!({ "decide": b.ts[i] }));
        assert_eq!(d["event"], "decision", "{d}");
        let r = &d["result"];
        let a = &served.actions;
        assert_eq!(r["buyPrice"].as_f64(), opt(a.buy_price[i]), "row {i}");
        assert_eq!(r["sellPrice"].as_f64(), opt(a.sell_price[i]), "row {i}");
        if a.buy_price[i].is_finite() {
            assert_eq!(r["buyFrac"].as_f64(), Some(a.buy_frac[i]), "row {i}");
            decided += 1;
        }
        if a.sell_price[i].is_finite() {
            assert_eq!(r["sellFrac"].as_f64(), Some(a.sell_frac[i]), "row {i}");
        }
    }
    assert!(decided > 0, "the policy placed no buy in {n} val bars");
    // Re-sending a held bar is fine; a changed one is refused.
    assert_eq!(ask(bar(n - 1))["event"], "pushed");
    let mut changed = bar(n - 1);
    changed["push"]["close"][0] = serde_json::json!(b.close[n - 1] * 1.01);
    let e = ask(changed);
    assert!(e["message"].as_str().unwrap().contains("differs"), "{e}");
    // A bar of the locked test split is never decided on.
    let t0 = meta.splits.test_start;
    let e = ask(serde_json::json!({ "decide": t0 }));
    assert!(
        e["message"].as_str().unwrap().contains("locked test split"),
        "{e}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
}
