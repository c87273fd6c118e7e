//! A sweep reports how much its best row owes to the number of rows tried: the deflated Sharpe
//! over the honest rows, and PBO by CSCV from each row's re-simulated returns.
mod common;
use tradelab_backtest::load::Window;
use tradelab_backtest::sweep;

#[test]
fn a_sweep_reports_deflated_sharpe_and_pbo_over_its_honest_rows() {
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let spec = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},
                   "grid":{"fast":[4,6,8,12],"slow":[20,30,50],"decisionLag":[0,1]}}"#;
    let (r, _) = sweep::run(&w, "SOL/USDT", spec, None, None).unwrap();
    assert_eq!(r.rows.len(), 24);
    let best = r.best.clone().unwrap();
    let o = r.overfit.clone().unwrap();
    // Lag-0 rows are optimistic: neither chosen nor counted as trials.
    assert_eq!(o.deflated.trials, 12);
    let row = r
        .rows
        .iter()
        .find(|x| x.index as u64 == best.index)
        .unwrap();
    assert!(!row.optimistic);
    let p = row.params.periods_per_year.unwrap();
    assert!((o.deflated.sharpe - row.metrics.curve.sharpe / p.sqrt()).abs() < 1e-15);
    assert_eq!(o.deflated.returns, r.bars);
    assert!((0.0..=1.0).contains(&o.deflated.dsr));
    let pbo = o.pbo.clone().unwrap();
    assert_eq!((pbo.blocks, pbo.splits, pbo.trials), (16, 12_870, 12));
    assert!((0.0..=1.0).contains(&pbo.pbo));
    assert!(o.text.starts_with("deflated Sharpe "), "{}", o.text);
    assert!(o.text.contains("PBO"), "{}", o.text);
}

/// PBO from the kernel's return blocks (no second simulation) equals PBO from every row
/// re-simulated on the reference engine.
#[test]
fn pbo_from_the_kernels_blocks_equals_pbo_from_resimulated_rows() {
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let spec = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},
                   "grid":{"fast":[3,4,6,8,10,12],"slow":[20,30,40,50,60],"makerFee":[0.0005,0.001]}}"#;
    let (r, _) = sweep::run(&w, "SOL/USDT", spec, None, None).unwrap();
    let (_, bars) = tradelab_backtest::load::bars(&w, "SOL/USDT").unwrap();
    let spec: tradelab_sim::SweepSpec = tradelab_sim::SweepSpec::from_json(spec).unwrap();
    let (base, _) = tradelab_backtest::single::window_params(
        &spec.base,
        tradelab_calendar::Calendar::Always,
        3_600_000,
    )
    .unwrap();
    let res = tradelab_sim::run_sweep(
        &bars,
        &tradelab_sim::SweepSpec {
            base: base.clone(),
            ..spec
        },
        None,
    )
    .unwrap();
    assert_eq!(res.blocks.len(), res.rows.len());
    let best = r.best.as_ref();
    let ppy = base.periods_per_year();
    let kernel = sweep::sweep_overfit(&bars, &res.rows, &res.blocks, best, ppy)
        .unwrap()
        .unwrap();
    let resim = sweep::sweep_overfit(&bars, &res.rows, &[], best, ppy)
        .unwrap()
        .unwrap();
    assert_eq!(kernel.pbo.as_ref().unwrap().trials, 60);
    assert_eq!(kernel.pbo, resim.pbo);
    assert_eq!(kernel.deflated, resim.deflated);
    assert_eq!(r.overfit.unwrap().pbo, kernel.pbo);
}

/// An actions sweep re-simulates fixed actions under each simulator combination and trailing
/// window; every row equals the reference simulator on that window's bars.
#[test]
fn an_actions_sweep_is_the_reference_on_each_window_and_combination() {
    use tradelab_backtest::actions_sweep::{self, ActionsSweepRequest};
    use tradelab_backtest::single::KeyedActions;
    use tradelab_sim::{simulate, Strategy};
    let w = Window::range(common::bundled_store(), "1h", None, None);
    let (_, bars) = tradelab_backtest::load::bars(&w, "SOL/USDT").unwrap();
    let acts = Strategy::Band {
        buy_offset: 0.004,
        sell_offset: 0.004,
        buy_frac: 0.5,
        sell_frac: 0.5,
    }
    .actions(&bars)
    .unwrap();
    let keyed = KeyedActions {
        ts: &bars.ts,
        buy_price: &acts.buy_price,
        sell_price: &acts.sell_price,
        buy_frac: &acts.buy_frac,
        sell_frac: &acts.sell_frac,
    };
    let req: ActionsSweepRequest = serde_json::from_value(serde_json::json!({
        "store": common::bundled_store(), "interval": "1h", "symbol": "SOL/USDT",
        "grid": {"intensity": [0.8, 1.4], "maxRoundTripsPerBar": [0, 3], "decisionLag": [0, 1]},
        "lastDays": [20, 30]
    }))
    .unwrap();
    let r = actions_sweep::run(&req, keyed).unwrap();
    assert_eq!(r.rows.len(), 16);
    for row in &r.rows {
        let from = bars.ts.partition_point(|&t| t < row.first);
        let want = simulate(
            &bars.slice(from..bars.len()),
            &acts.slice(from..acts.len()),
            &row.params,
        )
        .unwrap();
        assert_eq!(row.metrics, want.metrics, "row {}", row.index);
        assert_eq!(
            row.optimistic,
            row.params.decision_lag == 0 || row.params.max_round_trips_per_bar > 0
        );
    }
    let d20 = r.rows.iter().find(|x| x.last_days == Some(20.0)).unwrap();
    assert_eq!(d20.bars, 20 * 24);
    let best = &r.rows[r.best.clone().unwrap().index as usize];
    assert!(!best.optimistic);
    // Strategy axes do not apply to fixed actions.
    let bad: ActionsSweepRequest = serde_json::from_value(serde_json::json!({
        "store": common::bundled_store(), "interval": "1h", "symbol": "SOL/USDT", "grid": {"fast": [3]}
    }))
    .unwrap();
    let e = actions_sweep::run(&bad, keyed).unwrap_err();
    assert!(e.to_string().contains("simulator axes only"), "{e}");
}

/// A distributed sweep: its chunks, run separately and merged in any order, give the local
/// sweep's report (rows, best row, deflated Sharpe, PBO) exactly; bad chunk sets are refused.
#[test]
fn merged_chunks_equal_the_local_sweep() {
    let w = Window::range(common::bundled_store(), "1h", None, None);
    // Lag 0 rows and a fee axis: optimistic rows, several strategies cut mid-way by chunks.
    let spec = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},
                   "grid":{"fast":[4,6,8,12],"slow":[20,30,50],"decisionLag":[0,1],"makerFee":[0.0005,0.001]}}"#;
    let (local, local_ipc) = sweep::run(&w, "SOL/USDT", spec, None, None).unwrap();
    let plan = sweep::plan(&w, "SOL/USDT", spec, 5).unwrap();
    assert_eq!(plan.total, 48);
    assert_eq!(plan.chunks.len(), 5);
    assert_eq!(plan.data_hash, local.data_hash);
    let mut chunks: Vec<Vec<u8>> = plan
        .chunks
        .iter()
        .map(|&(a, b)| {
            sweep::run_chunk(&w, "SOL/USDT", spec, a as usize, b as usize, None).unwrap()
        })
        .collect();
    chunks.reverse();
    let (merged, merged_ipc) = sweep::run_merged(&w, "SOL/USDT", spec, &chunks, None).unwrap();
    assert_eq!(merged.rows, local.rows);
    assert_eq!(merged.best, local.best);
    assert_eq!(merged.overfit, local.overfit);
    assert_eq!(merged.bar_evaluations, local.bar_evaluations);
    assert_eq!(merged_ipc, local_ipc);

    // A missing chunk, a duplicated one, another sweep's chunk: refused, naming what is wrong.
    let e = sweep::run_merged(&w, "SOL/USDT", spec, &chunks[1..], None).unwrap_err();
    assert!(e.to_string().contains("cover"), "{e}");
    let mut twice = chunks.clone();
    twice.push(chunks[0].clone());
    let e = sweep::run_merged(&w, "SOL/USDT", spec, &twice, None).unwrap_err();
    assert!(e.to_string().contains("exactly once"), "{e}");
    let other = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},"grid":{"fast":[4,6]}}"#;
    let e = sweep::run_merged(&w, "SOL/USDT", other, &chunks, None).unwrap_err();
    assert!(e.to_string().contains("another sweep"), "{e}");
    let e = sweep::run_merged(&w, "SOL/USDT", spec, &[b"nope".to_vec()], None).unwrap_err();
    assert!(e.to_string().contains("not a sweep chunk result"), "{e}");
    // The locked test split is never cut into chunks (each would be a look).
    let mut test = w.clone();
    test.split = Some(tradelab_core::splits::Split::Test);
    let e = sweep::plan(&test, "SOL/USDT", spec, 2).unwrap_err();
    assert!(e.to_string().contains("locked test split"), "{e}");
}
