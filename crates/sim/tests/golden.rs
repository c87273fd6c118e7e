//! Golden regression runs: canonical backtests on the bundled `data/store`, each pinned by its
//! statistics and a SHA-256 over every trade. A change that moves results in the reference, the
//! kernel and every twin together still fails here. To accept an intended change, rerun with
//! `TRADELAB_BLESS=1` and commit `tests/golden/runs.json` with the reason in the message.
use std::path::PathBuf;
use tradelab_core::{Interval, Symbol};
use tradelab_data::Store;
use tradelab_sim::{run_batch, simulate, FillRule, SimParams, SimResult, Strategy};

fn cases() -> Vec<(&'static str, &'static str, Strategy, SimParams)> {
    vec![
        (
            "btc-ema-default",
            "BTC/USDT",
            Strategy::EmaCross {
                fast: 12,
                slow: 26,
                slack: 0.002,
            },
            SimParams::default(),
        ),
        (
            "sol-band-touch-hold",
            "SOL/USDT",
            Strategy::Band {
                buy_offset: 0.01,
                sell_offset: 0.01,
                buy_frac: 0.5,
                sell_frac: 1.0,
            },
            SimParams {
                fill_rule: FillRule::Touch,
                max_hold_bars: Some(48),
                ..Default::default()
            },
        ),
        (
            "eth-sma-lag2-cap",
            "ETH/USDT",
            Strategy::SmaCross {
                fast: 10,
                slow: 50,
                slack: 0.0,
            },
            SimParams {
                decision_lag: 2,
                max_volume_fraction: Some(0.001),
                ..Default::default()
            },
        ),
        (
            "link-band-cycles-optimistic",
            "LINK/USDT",
            Strategy::Band {
                buy_offset: 0.005,
                sell_offset: 0.005,
                buy_frac: 1.0,
                sell_frac: 1.0,
            },
            SimParams {
                max_round_trips_per_bar: 3,
                decision_lag: 0,
                ..Default::default()
            },
        ),
    ]
}

fn trade_hash(r: &SimResult) -> String {
    tradelab_sim::trade_sha256(&r.trades)
}

fn summary(r: &SimResult) -> serde_json::Value {
    let m = &r.metrics;
    serde_json::json!({
        "label": r.label.text,
        "trades": r.trades.len(),
        "roundTrips": m.round_trips,
        "totalReturn": format!("{:e}", m.curve.total_return),
        "sortino": format!("{:e}", m.curve.sortino),
        "maxDrawdown": format!("{:e}", m.curve.max_drawdown),
        "finalEquity": format!("{:e}", m.curve.end_equity),
        "tradeSha256": trade_hash(r),
    })
}

#[test]
fn golden_runs_are_unchanged() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let store = Store::open(root.join("../../data/store"));
    let mut got = serde_json::Map::new();
    for (name, sym, strat, p) in cases() {
        let bars = store
            .read(&Symbol::parse(sym).unwrap(), Interval::H1)
            .expect("bundled store");
        let a = strat.actions(&bars).unwrap();
        let r = simulate(&bars, &a, &p).unwrap();
        // The kernel twin agrees on the same run.
        let k = run_batch(&bars, &a, std::slice::from_ref(&p), None).unwrap();
        assert_eq!(k.metrics[0], r.metrics, "{name}: kernel vs reference");
        assert!(!r.trades.is_empty(), "{name} trades");
        got.insert(name.to_string(), summary(&r));
    }
    let path = root.join("tests/golden/runs.json");
    let got = serde_json::Value::Object(got);
    if std::env::var_os("TRADELAB_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
        return;
    }
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .expect("tests/golden/runs.json (bless with TRADELAB_BLESS=1)"),
    )
    .unwrap();
    for (name, w) in want.as_object().unwrap() {
        assert_eq!(Some(w), got.get(name), "golden run {name} changed");
    }
    assert_eq!(
        want.as_object().unwrap().len(),
        got.as_object().unwrap().len()
    );
}
