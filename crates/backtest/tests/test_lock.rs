//! One test lock for every command: a backtest, a sweep and a portfolio of the same symbol share
//! it through the run registry, whatever asks.
mod common;
use tradelab_backtest::load::Window;
use tradelab_backtest::portfolio::{self, PortfolioRequest};
use tradelab_backtest::single::{self, SingleRequest};
use tradelab_backtest::sweep;
use tradelab_core::splits::{Split, SplitBounds, SplitConfig};
use tradelab_core::{ErrorCode, Interval, Symbol};
use tradelab_sim::Strategy;

fn window(split: Split, registry: &str, ack: bool) -> Window {
    let mut w = Window::range(common::bundled_store(), "1h", None, None);
    w.split = Some(split);
    w.registry = Some(registry.into());
    w.acknowledge_burned = Some(ack);
    w
}

fn single(w: Window) -> SingleRequest {
    SingleRequest {
        window: w,
        symbol: "SOL/USDT".into(),
        strategy: Some(serde_json::from_str(r#"{"kind":"emaCross","fast":12,"slow":26}"#).unwrap()),
        params: None,
    }
}

#[test]
fn the_test_window_is_looked_at_once_by_any_command() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("runs.sqlite").display().to_string();

    // Validation needs no lock and is the split the one definition gives.
    let (val, _) = single::run(&single(window(Split::Val, &reg, false)), None).unwrap();
    let info = tradelab_data::Store::open(common::bundled_store())
        .info(&Symbol::parse("SOL/USDT").unwrap(), Interval::H1)
        .unwrap();
    let b = SplitBounds::compute(
        &SplitConfig::default(),
        0,
        Interval::H1,
        info.first.unwrap(),
        info.last.unwrap(),
    );
    let split = val.split.clone().unwrap();
    assert_eq!(
        (split.from, split.to, split.label.as_str()),
        (b.val_start, b.val_end, "val")
    );
    assert_eq!((val.first, val.last + 3_600_000), (b.val_start, b.val_end));

    let (first, _) = single::run(&single(window(Split::Test, &reg, false)), None).unwrap();
    let s = first.split.unwrap();
    assert!(!s.burned);
    assert_eq!(s.label, "test");

    // Second looks, by the same or another command, are refused and change nothing.
    let again = single::run(&single(window(Split::Test, &reg, false)), None).unwrap_err();
    assert_eq!(again.code(), "TEST_BURNED");
    assert!(again.to_string().contains("first by `backtest`"), "{again}");
    let spec = r#"{"strategy":{"kind":"emaCross","fast":12,"slow":26},"grid":{"fast":[6,12]}}"#;
    let sw = sweep::run(
        &window(Split::Test, &reg, false),
        "SOL/USDT",
        spec,
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(sw.code(), "TEST_BURNED");
    let pf = portfolio::run(&PortfolioRequest {
        window: window(Split::Test, &reg, false),
        symbols: vec!["BTC/USDT".into(), "SOL/USDT".into()],
        strategy: Strategy::EmaCross {
            fast: 12,
            slow: 26,
            slack: 0.0,
        },
        params: None,
        max_positions: Some(1),
        end_of_day_close: None,
    })
    .unwrap_err();
    assert_eq!(pf.code(), "TEST_BURNED");

    // Acknowledged: shown, and labelled burned.
    let (burned, _) = single::run(&single(window(Split::Test, &reg, true)), None).unwrap();
    let s = burned.split.unwrap();
    assert!(s.burned);
    assert_eq!(s.label, "test (burned)");
    assert_eq!(burned.metrics, first.metrics);

    // A test split without a registry cannot bypass the lock; a split plus from/to is ambiguous.
    let mut w = window(Split::Test, &reg, false);
    w.registry = None;
    assert!(single::run(&single(w), None)
        .unwrap_err()
        .to_string()
        .contains("needs the run registry"));
    let mut w = window(Split::Val, &reg, false);
    w.from = Some(0);
    assert_eq!(
        single::run(&single(w), None).unwrap_err().code(),
        "BACKTEST_INPUT"
    );
}
