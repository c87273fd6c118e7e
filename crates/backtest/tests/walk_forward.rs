//! Walk-forward: each fold's choice is the best honest trial on its in-sample part, its
//! out-of-sample numbers are the reference simulator on its out-of-sample bars, the chained curve
//! is those curves end to end, and nothing reaches the test window unless the lock is claimed.
mod common;
use tradelab_backtest::load::{self, Window};
use tradelab_backtest::single::KeyedActions;
use tradelab_backtest::walk_forward::{self, Candidate, WalkForwardRequest};
use tradelab_sim::{simulate, Strategy};

fn keyed<'a>(ts: &'a [i64], x: &'a tradelab_sim::Actions) -> KeyedActions<'a> {
    KeyedActions {
        ts,
        buy_price: &x.buy_price,
        sell_price: &x.sell_price,
        buy_frac: &x.buy_frac,
        sell_frac: &x.sell_frac,
    }
}

fn request(extra: serde_json::Value) -> WalkForwardRequest {
    let mut v = serde_json::json!({
        "store": common::bundled_store(), "interval": "1h", "symbol": "SOL/USDT",
        "folds": {"mode": "rolling", "oosDays": 15, "inSampleDays": 45, "purgeBars": 3, "embargoBars": 2},
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

#[test]
fn each_fold_chooses_in_sample_and_its_out_of_sample_is_the_reference() {
    let req = request(serde_json::json!({
        "strategy": {"kind": "emaCross", "fast": 12, "slow": 26},
        "grid": {"fast": [4, 8, 12], "slow": [20, 50], "decisionLag": [0, 1]},
    }));
    let r = walk_forward::run(&req, &[]).unwrap();
    assert_eq!(r.trials, 12);
    assert!(r.folds.len() >= 4, "{} folds", r.folds.len());
    assert_eq!(r.span, "before test");
    // The span stops before the default test split (the last 20 days).
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let (_, all) = load::bars(&w, "SOL/USDT").unwrap();
    let test_start = w
        .bounds(all.ts[0], all.ts[all.len() - 1])
        .unwrap()
        .test_start;
    assert!(r.last < test_start);
    let (_, bars) = load::bars(
        &Window::range(common::bundled_store(), "1h", None, Some(test_start)),
        "SOL/USDT",
    )
    .unwrap();
    let sims = tradelab_sim::SweepSpec {
        base: r.folds[0].params.clone(),
        strategy: req.strategy.clone().unwrap(),
        grid: req.grid.clone().unwrap(),
    };
    let (strategies, _) = sims.strategies().unwrap();
    let mut at = 0usize;
    for f in &r.folds {
        assert!(
            f.in_sample.to + 3 * 3_600_000 == f.oos.from,
            "purge of 3 bars"
        );
        assert!(
            !f.params.is_optimistic(),
            "fold {} chose an optimistic row",
            f.index
        );
        let is = bars.ts.partition_point(|&t| t < f.in_sample.from)
            ..bars.ts.partition_point(|&t| t < f.in_sample.to);
        let oos = bars.ts.partition_point(|&t| t < f.oos.from)
            ..bars.ts.partition_point(|&t| t < f.oos.to);
        // The best honest trial by in-sample Sortino, re-derived with the reference simulator.
        let mut best: Option<(f64, Strategy, tradelab_sim::SimParams)> = None;
        for s in &strategies {
            let a = s.actions(&bars).unwrap();
            for lag in [0u32, 1] {
                let p = tradelab_sim::SimParams {
                    decision_lag: lag as usize,
                    ..f.params.clone()
                };
                if p.is_optimistic() {
                    continue;
                }
                let m = simulate(&bars.slice(is.clone()), &a.slice(is.clone()), &p)
                    .unwrap()
                    .metrics;
                if best.as_ref().is_none_or(|b| m.curve.sortino > b.0) {
                    best = Some((m.curve.sortino, s.clone(), p));
                }
            }
        }
        let (sortino, s, p) = best.unwrap();
        assert_eq!(
            f.in_sample_metrics.curve.sortino, sortino,
            "fold {}",
            f.index
        );
        assert_eq!(f.strategy.as_ref(), Some(&s));
        let a = s.actions(&bars).unwrap();
        let want = simulate(&bars.slice(oos.clone()), &a.slice(oos.clone()), &p).unwrap();
        assert_eq!(f.oos_metrics, want.metrics, "fold {}", f.index);
        // The chained curve: this fold's curve, scaled to start where the previous one ended.
        let n = oos.len();
        let seg = &r.curve_equity[at..at + n];
        let scale = seg[0] / want.equity[0];
        for (x, y) in seg.iter().zip(&want.equity) {
            assert!((x - y * scale).abs() <= 1e-9 * x.abs());
        }
        assert_eq!(&r.curve_ts[at..at + n], &bars.ts[oos.clone()]);
        at += n;
        assert!(f.oos_rank > 0.0 && f.oos_rank < 1.0);
        assert!(f.overfit.is_some());
    }
    assert_eq!(at, r.curve_equity.len());
    let end = r.curve_equity[at - 1];
    assert!((r.oos.total_return - (end / r.oos.start_equity - 1.0)).abs() < 1e-12);
    assert!(r.pbo.is_some_and(|p| (0.0..=1.0).contains(&p)));
    assert!((0.0..=1.0).contains(&r.oos_psr));
    // Same request, same result (timing aside).
    let mut again = walk_forward::run(&req, &[]).unwrap();
    again.seconds = r.seconds;
    assert_eq!(again, r);
}

#[test]
fn fixed_candidates_are_chosen_per_fold_and_early_folds_are_dropped_for_a_policy() {
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let (_, bars) = load::bars(&w, "SOL/USDT").unwrap();
    let band = |o: f64| {
        Strategy::Band {
            buy_offset: o,
            sell_offset: o,
            buy_frac: 0.5,
            sell_frac: 0.5,
        }
        .actions(&bars)
        .unwrap()
    };
    let (a, b) = (band(0.004), band(0.01));
    let cands = [
        Candidate {
            label: "epoch 1".into(),
            actions: keyed(&bars.ts, &a),
        },
        Candidate {
            label: "epoch 2".into(),
            actions: keyed(&bars.ts, &b),
        },
    ];
    let not_before = bars.ts[bars.len() / 2];
    let req = request(serde_json::json!({
        "grid": {"intensity": [0.8, 1.2]},
        "oosNotBefore": not_before,
    }));
    let r = walk_forward::run(&req, &cands).unwrap();
    assert_eq!(r.trials, 4);
    assert!(r.folds.iter().all(|f| f.oos.from >= not_before));
    assert!(
        r.notes.iter().any(|n| n.contains("first unseen bar")),
        "{:?}",
        r.notes
    );
    for f in &r.folds {
        let c = f.candidate.as_deref().unwrap();
        assert!(c == "epoch 1" || c == "epoch 2");
        assert!(f.strategy.is_none());
    }
    // A rule strategy and fixed actions together are refused.
    let both =
        request(serde_json::json!({"strategy": {"kind": "emaCross", "fast": 12, "slow": 26}}));
    assert!(walk_forward::run(&both, &cands).is_err());
}

#[test]
fn a_span_over_the_test_window_needs_the_lock() {
    let req = request(serde_json::json!({
        "strategy": {"kind": "emaCross", "fast": 12, "slow": 26},
        "to": 2_000_000_000_000i64,
    }));
    let e = walk_forward::run(&req, &[]).unwrap_err().to_string();
    assert!(e.contains("needs the run registry"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("runs.sqlite").display().to_string();
    let mut req = req;
    req.window.registry = Some(reg.clone());
    let r = walk_forward::run(&req, &[]).unwrap();
    assert_eq!(r.span, "custom (includes test)");
    // The second look is refused, then labelled when acknowledged.
    let e = walk_forward::run(&req, &[]).unwrap_err().to_string();
    assert!(e.contains("burned") || e.contains("test"), "{e}");
    req.window.acknowledge_burned = Some(true);
    assert_eq!(
        walk_forward::run(&req, &[]).unwrap().span,
        "custom (test burned)"
    );
}
