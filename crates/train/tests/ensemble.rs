//! Ensemble policies on real bars (data/store, SOL/USDT 1h): a nano and an ftTransformer
//! checkpoint, served, evaluated and decided as one policy whose actions are the members' mean;
//! a test look through the ensemble is one look; incompatible members are refused.
use std::path::{Path, PathBuf};
use tch::Device;
use tradelab_sim::Actions;
use tradelab_train::commands::eval_checkpoint;
use tradelab_train::config::TrainConfig;
use tradelab_train::data::Split;
use tradelab_train::decide::Decider;
use tradelab_train::ensemble::{mean_actions, Ensemble};
use tradelab_train::events::Quiet;
use tradelab_train::serve::{serve, ServeRequest, ServeWindow};
use tradelab_train::trainer::{train, TrainOptions};
use tradelab_train::TrainError;

fn store() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/store")
}

fn tiny(arch: &str, seed: u64, val_days: u32) -> TrainConfig {
    TrainConfig::from_json(&format!(
        r#"{{"symbols":["SOL/USDT"],"splits":{{"valDays":{val_days},"testDays":5}},
            "model":{{"arch":"{arch}","dModel":16,"layers":1,"heads":2,"kvHeads":1,"window":16,"seqLen":24}},
            "optimizer":{{"kind":"muon","lr":0.02,"adamLr":0.01,"warmupSteps":2}},
            "training":{{"epochs":1,"batchSize":8,"stepsPerEpoch":4,"seed":{seed}}},
            "threads":1}}"#
    ))
    .unwrap()
}

fn trained(dir: &Path, name: &str, cfg: &TrainConfig) -> PathBuf {
    let out = dir.join(name);
    let o = TrainOptions {
        out: out.clone(),
        device: Device::Cpu,
        resume: None,
        store: store(),
    };
    train(cfg, &o, &mut Quiet).unwrap();
    out
}

fn write_ensemble(dir: &Path, members: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    let m: Vec<_> = members
        .iter()
        .map(|c| serde_json::json!({ "checkpoint": c }))
        .collect();
    std::fs::write(
        dir.join("ensemble.json"),
        serde_json::to_vec(&serde_json::json!({ "members": m, "source": "test" })).unwrap(),
    )
    .unwrap();
}

fn request<'a>(dir: &'a Path, split: Split, registry: Option<&'a Path>) -> ServeRequest<'a> {
    // Leaked once per call: the tests hold a handful of these.
    let store: &'a Path = Box::leak(store().into_boxed_path());
    ServeRequest {
        dir,
        epoch: None,
        symbol: None,
        window: ServeWindow::Split(split),
        store: Some(store),
        device: Device::Cpu,
        registry,
        allow_burned: false,
        command: "actions",
    }
}

/// Bit-identical, NaN included.
fn same(a: &Actions, b: &Actions) -> bool {
    let eq = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
    };
    eq(&a.buy_price, &b.buy_price)
        && eq(&a.sell_price, &b.sell_price)
        && eq(&a.buy_frac, &b.buy_frac)
        && eq(&a.sell_frac, &b.sell_frac)
}

#[test]
fn ensemble_serves_evaluates_and_decides_the_members_mean() {
    let dir = tempfile::tempdir().unwrap();
    let a = trained(dir.path(), "a", &tiny("nano", 3, 10));
    let b = trained(dir.path(), "b", &tiny("ftTransformer", 4, 10));
    let ens = dir.path().join("ens");
    // Relative and absolute member paths both resolve.
    write_ensemble(&ens, &["../a", b.to_str().unwrap()]);

    let va = serve(&request(&a, Split::Val, None)).unwrap();
    let vb = serve(&request(&b, Split::Val, None)).unwrap();
    let ve = serve(&request(&ens, Split::Val, None)).unwrap();
    assert_eq!(ve.bars.ts, va.bars.ts);
    let differs = (0..va.actions.buy_price.len()).any(|i| {
        va.actions.buy_price[i].is_finite() && va.actions.buy_price[i] != vb.actions.buy_price[i]
    });
    assert!(
        differs,
        "the members decide alike: the mean check would be vacuous"
    );
    assert!(same(
        &ve.actions,
        &mean_actions(&[va.actions.clone(), vb.actions.clone()])
    ));
    let summary = ve.summary(None);
    let e = summary.ensemble.as_ref().expect("an ensemble summary");
    assert_eq!(e.members.len(), 2);
    assert_eq!(e.source.as_deref(), Some("test"));
    assert_eq!(summary.seal_hash, e.seal_hash);
    assert_ne!(summary.seal_hash, va.meta.seal_hash);
    assert_eq!(summary.best_epoch, None);
    assert!(summary.decided > 0);

    // eval = the exact simulator over the served mean, labelled a selection window.
    let ev = eval_checkpoint(
        &ens,
        Split::Val,
        None,
        false,
        Some(&store()),
        Device::Cpu,
        None,
    )
    .unwrap();
    let sim = tradelab_sim::simulate(&ve.bars, &ve.actions, &ve.params).unwrap();
    assert_eq!(
        ev["result"]["metrics"],
        serde_json::to_value(sim.metrics).unwrap()
    );
    assert!(ev["result"]["selection"]
        .as_str()
        .unwrap()
        .contains("ensemble of 2 members"));
    assert_eq!(
        ev["result"]["ensemble"]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(ev["result"]["stress"].is_array());

    // decide (paper/live): the row served for the same bar, from history up to that bar.
    let k = (0..ve.bars.len())
        .rev()
        .find(|&i| ve.actions.buy_price[i].is_finite())
        .unwrap();
    let ts = ve.bars.ts[k];
    let (d, info) = Decider::open(&ens, None, None, Some(&store()), ts + 1, Device::Cpu).unwrap();
    assert_eq!(info.seal_hash, e.seal_hash);
    assert!(info.ensemble.is_some() && info.epoch.is_none());
    let row = d.decide(ts).unwrap();
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
    assert!(
        close(row.buy_price.unwrap(), ve.actions.buy_price[k]),
        "{row:?}"
    );
    assert!(
        close(row.sell_price.unwrap(), ve.actions.sell_price[k]),
        "{row:?}"
    );
    assert!(
        close(row.buy_frac, ve.actions.buy_frac[k])
            && close(row.sell_frac, ve.actions.sell_frac[k])
    );
    // An ensemble's members name their own epochs.
    let err = Decider::open(&ens, Some(1), None, Some(&store()), ts + 1, Device::Cpu)
        .err()
        .unwrap();
    assert!(matches!(err, TrainError::Usage(_)), "{err}");

    // A test look through the ensemble is one look: claimed once globally, in every member's
    // ledger, and the second look (through the ensemble or a member) is refused.
    let reg = dir.path().join("runs.sqlite");
    let t = serve(&request(&ens, Split::Test, Some(&reg))).unwrap();
    assert!(t.touches_test && !t.burned);
    for m in [&a, &b] {
        let ledger = tradelab_train::checkpoint::read_ledger(m).unwrap();
        assert_eq!(ledger.len(), 1, "{}", m.display());
    }
    let again = serve(&request(&ens, Split::Test, Some(&reg)))
        .err()
        .unwrap();
    assert!(matches!(again, TrainError::TestBurned(_)), "{again}");
    let member = serve(&request(&b, Split::Test, Some(&reg))).err().unwrap();
    assert!(matches!(member, TrainError::TestBurned(_)), "{member}");
}

#[test]
fn incompatible_or_broken_ensembles_are_refused_naming_the_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = tiny("nano", 3, 10);
    cfg.training.steps_per_epoch = Some(1);
    let a = trained(dir.path(), "a", &cfg);
    let mut other = tiny("nano", 5, 8);
    other.training.steps_per_epoch = Some(1);
    trained(dir.path(), "c", &other);
    let ens = dir.path().join("ens");
    write_ensemble(&ens, &["../a", "../c"]);
    let e = Ensemble::load(&ens).err().unwrap().to_string();
    assert!(e.contains("members[1]") && e.contains("split"), "{e}");

    write_ensemble(&ens, &["../a", "../missing"]);
    let e = Ensemble::load(&ens).err().unwrap().to_string();
    assert!(e.contains("members[1] (../missing)"), "{e}");

    write_ensemble(&ens, &[]);
    let e = Ensemble::load(&ens).err().unwrap().to_string();
    assert!(e.contains("at least one member"), "{e}");

    std::fs::write(
        ens.join("ensemble.json"),
        br#"{"members":[{"checkpoint":"../a","epoc":1}]}"#,
    )
    .unwrap();
    let e = Ensemble::load(&ens).err().unwrap().to_string();
    assert!(e.contains("ensemble.json") && e.contains("epoc"), "{e}");

    // A plain checkpoint directory is not an ensemble.
    assert!(Ensemble::load(&a).unwrap().is_none());
}
