//! Funding harvest on Binance BTC spot + perpetual history (`<shared>/binance_roshan7869_algotrading`).
mod common;
use std::path::Path;
use tradelab_backtest::harvest::{self, HarvestReport, HarvestRequest, HarvestRule};
use tradelab_backtest::load::Window;
use tradelab_core::{Interval, Symbol};
use tradelab_data::{import_file, ImportOptions, OnConflict, Progress, Store};

const ROOT: &str = "binance_roshan7869_algotrading";
const Y2024: i64 = 1_704_067_200_000; // 2024-01-01
const Y2025: i64 = 1_735_689_600_000; // 2025-01-01

fn store(dir: &Path) -> Option<String> {
    store_with(dir, true)
}

fn store_with(dir: &Path, with_funding: bool) -> Option<String> {
    let spot = common::shared(&format!("{ROOT}/spot_1h/BTC_USDT-1h.feather"))?;
    let perp = common::shared(&format!(
        "{ROOT}/futures_1h/BTC_USDT_USDT-1h-futures.feather"
    ))?;
    let funding = common::shared(&format!(
        "{ROOT}/funding/BTC_USDT_USDT-1h-funding_rate.feather"
    ))?;
    let st = Store::open(dir);
    for (file, sym) in [(&spot, "BTC/USDT"), (&perp, "BTC/USDT:USDT")] {
        let opts = ImportOptions {
            symbol: Symbol::parse(sym).unwrap(),
            interval: Interval::H1,
            on_conflict: OnConflict::Error,
            source: None,
        };
        import_file(&st, file, &opts, &Progress::default()).unwrap();
    }
    let perp_sym = Symbol::parse("BTC/USDT:USDT").unwrap();
    if !with_funding {
        return Some(dir.display().to_string());
    }
    tradelab_data::series::import_funding_file(&st, &funding, &perp_sym, OnConflict::Error, None)
        .unwrap();
    Some(dir.display().to_string())
}

fn req(store: &str, rule: Option<HarvestRule>) -> HarvestRequest {
    HarvestRequest {
        window: Window::range(store, "1h", Some(Y2024), Some(Y2025)),
        symbol: "BTC/USDT".into(),
        perp: None,
        rule,
        allocation: None,
        rebalance_threshold: None,
        spot_fee: None,
        perp_fee: None,
        starting_cash: None,
    }
}

fn run(store: &str, rule: Option<HarvestRule>) -> HarvestReport {
    harvest::run(&req(store, rule)).unwrap().0
}

#[test]
fn always_on_harvest_collects_2024_funding_and_states_its_assumptions() {
    let dir = tempfile::tempdir().unwrap();
    let Some(st) = store(dir.path()) else { return };
    let r = run(&st, None);
    // 2024 BTC funding was mostly positive: the short leg is paid.
    assert!(
        r.funding_net > 0.0 && r.funding_received > r.funding_paid,
        "{r:?}"
    );
    assert!(
        (r.funding_received - r.funding_paid - r.funding_net).abs() < 1e-9 * r.funding_received
    );
    assert_eq!(r.entries, 1, "always on enters once");
    assert_eq!(r.exits, 0);
    assert!(r.deployed > 0.99, "deployed {}", r.deployed);
    // Delta neutral: the equity change is funding minus fees plus a small basis term.
    let change = r.final_equity - 10_000.0;
    let basis = change - (r.funding_net - r.fees_paid);
    assert!(
        basis.abs() < 0.02 * 10_000.0,
        "basis {basis} (change {change})"
    );
    assert!(r.apr > 0.0 && r.apr < 0.5, "APR {}", r.apr);
    assert!(r.max_drawdown < 0.05, "max DD {}", r.max_drawdown);
    assert_eq!(r.months, 12);
    assert!(r.monthly_win_rate > 0.5);
    assert_eq!(r.funding_events, 366 * 3, "8h funding over 2024");
    for s in ["lag 1", "taker fees", "no mark-price series", "P=8760"] {
        assert!(r.label.contains(s), "label lacks '{s}': {}", r.label);
    }
    assert_eq!(r.legs.len(), 2);
    assert!(r.legs[1].final_qty < 0.0 && r.legs[0].final_qty > 0.0);
    assert!(
        (r.legs[0].final_qty + r.legs[1].final_qty).abs() < 1e-9 * r.legs[0].final_qty,
        "equal legs"
    );
}

#[test]
fn selective_variants_trade_more_and_the_gate_waits_for_its_window() {
    let dir = tempfile::tempdir().unwrap();
    let Some(st) = store(dir.path()) else { return };
    let always = run(&st, None);
    let every8 = run(&st, Some(HarvestRule::Every { hours: 8 }));
    assert!(every8.entries >= 1 && every8.deployed <= always.deployed + 1e-12);
    assert!(every8.fees_paid >= always.fees_paid, "switching costs fees");
    let every24 = run(&st, Some(HarvestRule::Every { hours: 24 }));
    assert!(every24.entries <= every8.entries);
    // Every exit closes the hedge (a quantity cover ends at exactly 0): exits never outnumber entries.
    for r in [&every8, &every24] {
        assert!(
            r.exits <= r.entries && r.entries <= r.exits + 1,
            "{} entries / {} exits",
            r.entries,
            r.exits
        );
    }
    // A gate that never opens leaves the account untouched.
    let shut = run(
        &st,
        Some(HarvestRule::Gate {
            window: 3,
            enter: 0.01,
            exit: 0.005,
        }),
    );
    assert_eq!(
        (shut.entries, shut.fees_paid, shut.final_equity),
        (0, 0.0, 10_000.0)
    );
    let gate = run(
        &st,
        Some(HarvestRule::Gate {
            window: 21,
            enter: 0.0001,
            exit: 0.00005,
        }),
    );
    assert!(gate.entries >= 1 && gate.deployed < 1.0);
}

#[test]
fn uncovered_funding_and_bad_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(st) = store(dir.path()) else { return };
    // The perpetual and its funding start in September 2019; spot bars start earlier, so a
    // window reaching back is cut to the common bars, never filled with invented funding.
    let mut r = req(&st, None);
    r.allocation = Some(1.5);
    let e = harvest::run(&r).unwrap_err();
    assert!(e.to_string().starts_with("allocation"), "{e}");
    let mut r = req(
        &st,
        Some(HarvestRule::Gate {
            window: 3,
            enter: 0.0,
            exit: 0.1,
        }),
    );
    r.window.from = Some(Y2024);
    assert!(harvest::run(&r)
        .unwrap_err()
        .to_string()
        .contains("exit <= enter"));
    let mut r = req(&st, None);
    r.symbol = "BTC/USDT:USDT".into();
    assert!(harvest::run(&r)
        .unwrap_err()
        .to_string()
        .contains("not a spot"));
    // A store without the funding series: the error names the instrument.
    let bare = tempfile::tempdir().unwrap();
    let Some(bare) = store_with(bare.path(), false) else {
        return;
    };
    let e = harvest::run(&req(&bare, None)).unwrap_err();
    assert!(
        e.to_string().contains("BTC_USDT_USDT") || e.to_string().contains("BTC/USDT:USDT"),
        "{e}"
    );
    // Funding that does not cover the window (cut here to the first half of 2024).
    let half = tempfile::tempdir().unwrap();
    let Some(half_store) = store_with(half.path(), false) else {
        return;
    };
    let st2 = Store::open(&st);
    let f = st2
        .read_funding(&Symbol::parse("BTC/USDT:USDT").unwrap())
        .unwrap();
    let keep = f.ts.partition_point(|&t| t < Y2024 + 182 * 86_400_000);
    let cut = tradelab_data::series::FundingSeries {
        ts: f.ts[..keep].to_vec(),
        rate: f.rate[..keep].to_vec(),
    };
    let hs = Store::open(&half_store);
    hs.merge_funding(
        &Symbol::parse("BTC/USDT:USDT").unwrap(),
        &cut,
        OnConflict::Error,
        "test",
        Path::new("cut"),
    )
    .unwrap();
    let e = harvest::run(&req(&half_store, None)).unwrap_err();
    assert!(
        e.to_string().contains("funding series covers") && e.to_string().contains("BTC/USDT:USDT"),
        "{e}"
    );
}
