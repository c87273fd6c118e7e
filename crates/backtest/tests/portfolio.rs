//! Shared-cash portfolios on the bundled store.
mod common;
use tradelab_backtest::load::Window;
use tradelab_backtest::portfolio::{self, PortfolioRequest};
use tradelab_backtest::single::{self, SingleRequest};
use tradelab_core::ErrorCode;
use tradelab_sim::Strategy;

fn window() -> Window {
    Window::range(common::bundled_store(), "1h", None, None)
}

fn ema() -> Strategy {
    serde_json::from_str(r#"{"kind":"emaCross","fast":12,"slow":26}"#).unwrap()
}

fn request(symbols: &[&str], max: Option<usize>) -> PortfolioRequest {
    PortfolioRequest {
        window: window(),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        strategy: ema(),
        params: None,
        max_positions: max,
        end_of_day_close: None,
    }
}

#[test]
fn one_symbol_portfolio_equals_the_single_asset_backtest() {
    let (p, pc) = portfolio::run(&request(&["BTC/USDT"], None)).unwrap();
    let (s, sc) = single::run(
        &SingleRequest {
            window: window(),
            symbol: "BTC/USDT".into(),
            strategy: Some(ema()),
            params: None,
        },
        None,
    )
    .unwrap();
    assert_eq!(pc.equity, sc.equity, "equity curves bit-identical");
    assert_eq!(p.metrics, s.metrics);
    assert_eq!(p.label.text, s.label.text);
    assert!(p.label.text.contains("P 8760"), "{}", p.label.text);
    assert!(s.metrics.round_trips > 10);
    // Round trips for reports come from Rust and agree with the metrics.
    let closed: Vec<_> = s.round_trips.iter().filter(|t| t.pnl.is_some()).collect();
    assert_eq!(closed.len() as u64, s.metrics.round_trips);
    let wins = closed.iter().filter(|t| t.pnl.unwrap() > 0.0).count() as f64;
    assert_eq!(wins / closed.len() as f64, s.metrics.win_rate);
    let fills: u64 = s.round_trips.iter().map(|t| t.fills).sum();
    assert_eq!(fills, s.trades.len() as u64);
}

#[test]
fn max_positions_one_never_holds_two_symbols() {
    let syms = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "LINK/USDT"];
    let (one, _) = portfolio::run(&request(&syms, Some(1))).unwrap();
    let (all, _) = portfolio::run(&request(&syms, None)).unwrap();
    let exposure =
        |r: &portfolio::PortfolioReport| r.instruments.iter().map(|i| i.exposure).sum::<f64>();
    // Exposures are fractions of the same clock: with one slot they cannot overlap.
    assert!(
        exposure(&one) <= 1.0 + 1e-12,
        "one slot: summed exposure {}",
        exposure(&one)
    );
    assert!(
        exposure(&all) > 1.0,
        "four slots overlap: {}",
        exposure(&all)
    );
    assert!(
        one.instruments.iter().filter(|i| i.trades > 0).count() >= 2,
        "the slot moves between symbols"
    );
    assert_eq!(one.max_positions, 1);
    assert_eq!(all.max_positions, 4);
    assert_eq!(all.symbols, syms);
    // Per-instrument PnL adds up to the total.
    let pnl: f64 = all.instruments.iter().map(|i| i.pnl).sum();
    let total = all.metrics.curve.end_equity - all.metrics.curve.start_equity;
    assert!(
        (pnl - total).abs() < 1e-6 * all.metrics.curve.start_equity,
        "{pnl} vs {total}"
    );
    assert!(all.liquidation_value <= all.metrics.curve.end_equity);
}

#[test]
fn bad_requests_name_what_is_wrong() {
    let e = portfolio::run(&request(&["BTC/USDT", "NOPE/USDT"], None)).unwrap_err();
    assert!(e.to_string().contains("NOPE/USDT"), "{e}");
    assert_eq!(e.code(), "DATA_NOT_FOUND");
    let e = portfolio::run(&request(&["BTC/USDT", "BTC/USDT"], None)).unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    assert_eq!(e.code(), "BACKTEST_INPUT");
    let e = portfolio::run(&request(&["BTC/USDT"], Some(0))).unwrap_err();
    assert!(e.to_string().starts_with("maxPositions"), "{e}");
    let mut r = request(&["BTC/USDT"], None);
    r.window.from = Some(4_000_000_000_000);
    let e = portfolio::run(&r).unwrap_err();
    assert!(e.to_string().contains("no BTC/USDT 1h bars"), "{e}");
}

#[test]
fn a_portfolio_sweep_row_is_the_portfolio_run_with_its_parameters() {
    use tradelab_backtest::portfolio_sweep::{self, PortfolioSweepRequest};
    let req: PortfolioSweepRequest = serde_json::from_value(serde_json::json!({
        "store": common::bundled_store(), "interval": "1h",
        "symbols": ["BTC/USDT", "ETH/USDT", "SOL/USDT"],
        "strategy": {"kind": "emaCross", "fast": 12, "slow": 26},
        "grid": {"fast": [8, 12], "decisionLag": [0, 1]},
        "maxPositions": [1, 3]
    }))
    .unwrap();
    let r = portfolio_sweep::run(&req, None).unwrap();
    assert_eq!(r.rows.len(), 2 * 2 * 2);
    assert_eq!(r.bar_evaluations, r.bar_rows * 8);
    assert!(r.data_hash.starts_with("sha256:"));
    for row in &r.rows {
        let mut one = request(
            &["BTC/USDT", "ETH/USDT", "SOL/USDT"],
            Some(row.max_positions as usize),
        );
        one.strategy = row.strategy.clone();
        one.params = Some(row.params.clone());
        let (p, _) = portfolio::run(&one).unwrap();
        assert_eq!(p.metrics, row.metrics, "row {}", row.index);
        assert_eq!(row.optimistic, row.params.decision_lag == 0);
    }
    // Strategy-major, then simulator axes, then maxPositions.
    assert_eq!(r.rows[1].max_positions, 3);
    assert_eq!(r.rows[2].params.decision_lag, 1);
    let best = r.best.as_ref().unwrap();
    let row = &r.rows[best.index as usize];
    assert!(!row.optimistic, "lag-0 rows never win");
    assert!(
        best.selection
            .contains("best of 4 by Sortino (4 optimistic rows excluded)"),
        "{}",
        best.selection
    );
    let honest_max = r
        .rows
        .iter()
        .filter(|x| !x.optimistic)
        .map(|x| x.metrics.curve.sortino)
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(row.metrics.curve.sortino, honest_max);
    // Deflated Sharpe and PBO over the 4 honest runs, from their re-run per-bar returns.
    let o = r.overfit.as_ref().expect("overfit statistics");
    assert_eq!(o.deflated.trials, 4);
    let p = row.params.periods_per_year.unwrap();
    assert!((o.deflated.sharpe - row.metrics.curve.sharpe / p.sqrt()).abs() < 1e-15);
    assert!((0.0..=1.0).contains(&o.deflated.dsr));
    assert_eq!(o.pbo.as_ref().map(|x| x.trials), Some(4));

    let mut bad = req.clone();
    bad.max_positions = Some(vec![]);
    let e = portfolio_sweep::run(&bad, None).unwrap_err();
    assert_eq!(e.code(), "BACKTEST_INPUT");
    assert!(e.to_string().contains("maxPositions"), "{e}");
}
