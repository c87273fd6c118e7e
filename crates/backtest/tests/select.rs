//! The selector session is the engine stepped from outside: a selector that passes every action
//! row through unchanged reproduces the single-asset `simulate` bit for bit, and the candidates
//! it sees are the action rows and forecasts `lag` bars old.
mod common;
use tradelab_backtest::load::{self, Window};
use tradelab_backtest::select::{
    SelectRequest, SelectSession, CAND_FIELDS, ORDER_FIELDS, STATE_FIELDS,
};
use tradelab_sim::{simulate, SimParams, Strategy};

/// A private copy of the bundled store: opening a session writes forecast caches into it.
fn store() -> String {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let d = DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        copy_dir(std::path::Path::new(&common::bundled_store()), d.path());
        d
    });
    d.path().display().to_string()
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

fn request(symbols: &[&str], lag: usize) -> SelectRequest {
    serde_json::from_value(serde_json::json!({
        "store": store(), "interval": "1h",
        "from": 1_719_792_000_000i64, "to": 1_722_470_400_000i64,
        "symbols": symbols,
        "strategy": {"kind": "band", "buyOffset": 0.004, "sellOffset": 0.006, "buyFrac": 0.7, "sellFrac": 1.0},
        "params": {"decisionLag": lag, "makerFee": 0.001, "takerFee": 0.001},
        "forecastModel": "ewma-vol", "horizon": 1, "edgeMode": "high_low"
    }))
    .unwrap()
}

/// Copies each candidate's orders into the order buffer unchanged.
fn pass_through(s: &mut SelectSession, n: usize) -> Vec<Vec<f64>> {
    let mut cand = vec![0.0; n * CAND_FIELDS];
    let mut state = vec![0.0; 3 + n * STATE_FIELDS];
    let mut orders = vec![f64::NAN; n * ORDER_FIELDS];
    let mut seen = Vec::new();
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        orders.fill(f64::NAN);
        for k in 0..n {
            let c = &cand[k * CAND_FIELDS..(k + 1) * CAND_FIELDS];
            if c[0] == 1.0 {
                orders[k * ORDER_FIELDS..k * ORDER_FIELDS + 4]
                    .copy_from_slice(&[c[1], c[2], c[3], c[4]]);
            }
        }
        seen.push(cand.clone());
        s.apply(&orders).unwrap();
    }
    seen
}

#[test]
fn a_pass_through_selector_on_one_symbol_is_simulate() {
    for lag in [1usize, 2] {
        let req = request(&["SOL/USDT"], lag);
        let mut s = SelectSession::open(&req, &[]).unwrap();
        let seen = pass_through(&mut s, 1);
        let r = s.finish("pass-through", None);
        let w = Window::range(
            common::bundled_store(),
            "1h",
            req.window.from,
            req.window.to,
        );
        let (_, bars) = load::bars(&w, "SOL/USDT").unwrap();
        let acts = req.strategy.clone().unwrap().actions(&bars).unwrap();
        let want = simulate(&bars, &acts, &r.params).unwrap();
        assert_eq!(
            r.curves.equity, want.equity,
            "lag {lag}: equity bit for bit"
        );
        assert_eq!(r.metrics.trade_count, want.metrics.trade_count);
        assert!(want.metrics.trade_count > 20);
        // The candidate at step i carries action row i - lag and the close of that bar.
        for (i, c) in seen.iter().enumerate() {
            if i < lag {
                assert_eq!(c[0], 0.0, "no decision row yet at step {i}");
                continue;
            }
            assert_eq!(c[9], bars.close[i - lag]);
            assert_eq!(c[1], acts.buy_price[i - lag]);
        }
    }
}

#[test]
fn candidates_carry_the_edge_and_errors_name_the_field() {
    let req = request(&["BTC/USDT", "SOL/USDT"], 1);
    let mut s = SelectSession::open(&req, &[]).unwrap();
    let n = 2;
    let mut cand = vec![0.0; n * CAND_FIELDS];
    let mut state = vec![0.0; 3 + n * STATE_FIELDS];
    let mut finite = 0;
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        for k in 0..n {
            let c = &cand[k * CAND_FIELDS..(k + 1) * CAND_FIELDS];
            if c[0] == 1.0 && c[5].is_finite() {
                finite += 1;
                let (b, ph, pl, beta) = (c[1], c[6], c[7], c[2]);
                let want = ((ph - b) / b - 0.5 * ((b - pl) / b).max(0.0) - 2.0 * 0.001) * beta;
                assert!((c[5] - want).abs() < 1e-15);
                assert!(
                    c[10].is_nan() && c[11].is_nan(),
                    "no lookahead unless asked"
                );
            }
        }
        s.apply(&vec![f64::NAN; n * ORDER_FIELDS]).unwrap();
    }
    assert!(finite > 1000);
    // A bad order fraction names the symbol; an unknown edge mode and forecaster are refused.
    let mut s = SelectSession::open(&req, &[]).unwrap();
    s.next(&mut cand, &mut state).unwrap();
    let mut o = vec![f64::NAN; n * ORDER_FIELDS];
    o[0] = 100.0;
    o[1] = 2.0;
    let e = s.apply(&o).unwrap_err();
    assert!(
        e.to_string().contains("BTC/USDT") && e.to_string().contains("fraction 2"),
        "{e}"
    );
    // An after-exit index that names no symbol is refused by symbol.
    o[1] = 1.0;
    o[4] = 2.0;
    let e = s.apply(&o).unwrap_err().to_string();
    assert!(
        e.contains("BTC/USDT") && e.contains("after-exit symbol 2"),
        "{e}"
    );
    let mut v = serde_json::to_value(&req).unwrap();
    v["edgeMode"] = serde_json::json!("sideways");
    assert!(serde_json::from_value::<SelectRequest>(v)
        .unwrap_err()
        .to_string()
        .contains("sideways"));
    let mut bad = req.clone();
    bad.forecast_model = "crystal-ball".into();
    let e = SelectSession::open(&bad, &[]).err().unwrap().to_string();
    assert!(e.contains("forecastModel"), "{e}");
    let _ = Strategy::Band {
        buy_offset: 0.0,
        sell_offset: 0.0,
        buy_frac: 0.0,
        sell_frac: 0.0,
    };
    let _ = SimParams::default();
}

#[test]
fn per_symbol_fees_reach_the_engine_the_edge_and_the_label() {
    let mut req = request(&["BTC/USDT", "SOL/USDT"], 1);
    req.fees = Some(
        [(
            "SOL/USDT".to_string(),
            tradelab_sim::model::Fees {
                maker: 0.0,
                taker: 0.001,
            },
        )]
        .into_iter()
        .collect(),
    );
    let mut s = SelectSession::open(&req, &[]).unwrap();
    let n = 2;
    let mut cand = vec![0.0; n * CAND_FIELDS];
    let mut state = vec![0.0; 3 + n * STATE_FIELDS];
    let mut checked = 0;
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        for (k, fee) in [(0usize, 0.001), (1, 0.0)] {
            let c = &cand[k * CAND_FIELDS..(k + 1) * CAND_FIELDS];
            if c[0] == 1.0 && c[5].is_finite() {
                let (b, ph, pl, beta) = (c[1], c[6], c[7], c[2]);
                let want = ((ph - b) / b - 0.5 * ((b - pl) / b).max(0.0) - 2.0 * fee) * beta;
                assert!((c[5] - want).abs() < 1e-15);
                checked += 1;
            }
        }
        // Buy SOL whenever flat: its fills pay no maker fee.
        let mut orders = vec![f64::NAN; n * ORDER_FIELDS];
        if state[3 + STATE_FIELDS] == 0.0 && cand[CAND_FIELDS] == 1.0 {
            orders[ORDER_FIELDS] = cand[CAND_FIELDS + 1];
            orders[ORDER_FIELDS + 1] = 1.0;
        } else if cand[CAND_FIELDS] == 1.0 {
            orders[ORDER_FIELDS + 2] = cand[CAND_FIELDS + 3];
            orders[ORDER_FIELDS + 3] = 1.0;
        }
        s.apply(&orders).unwrap();
    }
    assert!(checked > 1000);
    let r = s.finish("test", None);
    assert!(
        r.label
            .text
            .contains("fees per symbol: SOL/USDT maker 0% / taker 0.1%"),
        "{}",
        r.label.text
    );
    assert!(r
        .label
        .cautions
        .iter()
        .any(|c| c.contains("zero maker fee on SOL/USDT")));
    let sol = &r.instruments[1];
    assert!(sol.trades > 10);
    assert_eq!(sol.fees, 0.0, "limit fills on SOL pay no maker fee");
    let mut bad = request(&["BTC/USDT"], 1);
    bad.fees = Some(
        [(
            "ETH/USDT".to_string(),
            tradelab_sim::model::Fees {
                maker: 0.0,
                taker: 0.0,
            },
        )]
        .into_iter()
        .collect(),
    );
    let e = SelectSession::open(&bad, &[]).err().unwrap().to_string();
    assert!(e.contains("ETH/USDT matches none of the symbols"), "{e}");

    // A quote's fees at once (`*/QUOTE`, e.g. a venue's zero-fee FDUSD pairs); a symbol's own key wins.
    let fees: std::collections::BTreeMap<String, tradelab_sim::model::Fees> =
        serde_json::from_value(serde_json::json!({
            "*/USDT": { "maker": 0.0002, "taker": 0.0005 },
            "SOL/USDT": { "maker": 0.0, "taker": 0.001 }
        }))
        .unwrap();
    let mut req = request(&["BTC/USDT", "SOL/USDT"], 1);
    req.fees = Some(fees);
    let mut s = SelectSession::open(&req, &[]).unwrap();
    let mut checked = 0;
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        for (k, fee) in [(0usize, 0.0002), (1, 0.0)] {
            let c = &cand[k * CAND_FIELDS..(k + 1) * CAND_FIELDS];
            if c[0] == 1.0 && c[5].is_finite() {
                let (b, ph, pl, beta) = (c[1], c[6], c[7], c[2]);
                let want = ((ph - b) / b - 0.5 * ((b - pl) / b).max(0.0) - 2.0 * fee) * beta;
                assert!((c[5] - want).abs() < 1e-15);
                checked += 1;
            }
        }
        s.apply(&vec![f64::NAN; n * ORDER_FIELDS]).unwrap();
    }
    assert!(checked > 1000);
    let text = s.finish("test", None).label.text;
    assert!(
        text.contains("BTC/USDT maker 0.02% / taker 0.05%, SOL/USDT maker 0% / taker 0.1%"),
        "{text}"
    );
    let mut bad = request(&["BTC/USDT"], 1);
    bad.fees = Some(
        serde_json::from_value(serde_json::json!({ "*/FDUSD": { "maker": 0.0, "taker": 0.0 } }))
            .unwrap(),
    );
    let e = SelectSession::open(&bad, &[]).err().unwrap().to_string();
    assert!(e.contains("*/FDUSD matches none of the symbols"), "{e}");
}

/// Spot shorts: a flat symbol's sell opens a short sized σ × cash / (S(1 + f)), a short's buy
/// covers it, the candidate carries the mirrored edge, and borrow cost accrues on the short's
/// notional at each close.
#[test]
fn shorts_open_at_the_sell_limit_cover_at_the_buy_limit_and_pay_borrow() {
    let rate = 0.1;
    let mut req = request(&["SOL/USDT"], 1);
    req.shorts = Some(serde_json::from_value(serde_json::json!({ "borrowRate": rate })).unwrap());
    let mut s = SelectSession::open(&req, &[]).unwrap();
    let mut cand = vec![0.0; CAND_FIELDS];
    let mut state = vec![0.0; 3 + STATE_FIELDS];
    let (mut shorts_seen, mut checked, mut observed) = (0, 0, 0.0);
    let (mut last_q, mut max_close) = (0.0_f64, 0.0_f64);
    let mut steps = 0;
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        let c = &cand[..CAND_FIELDS];
        let q = state[3];
        // With lag 1 and no gaps, c[9] is the close of the bar whose step left position q.
        if steps > 0 && c[0] == 1.0 {
            observed += rate * (-q).max(0.0) * c[9] / 8760.0;
            max_close = max_close.max(c[9]);
        }
        steps += 1;
        last_q = q;
        if q < 0.0 {
            shorts_seen += 1;
        }
        let mut o = [f64::NAN; ORDER_FIELDS];
        if c[0] == 1.0 && c[12].is_finite() {
            let (sp, sigma, ph, pl) = (c[3], c[4], c[6], c[7]);
            let want = ((sp - pl) / sp - 0.5 * ((ph - sp) / sp).max(0.0) - 2.0 * 0.001) * sigma;
            assert!((c[12] - want).abs() < 1e-15, "mirrored edge");
            checked += 1;
        }
        if c[0] == 1.0 && q == 0.0 && c[12].is_finite() {
            o[2] = c[3];
            o[3] = c[4];
        } else if c[0] == 1.0 && q < 0.0 {
            o[0] = c[1];
            o[1] = 1.0;
        }
        s.apply(&o).unwrap();
    }
    let r = s.finish("short then cover", None);
    assert!(checked > 500, "{checked} short edges checked");
    assert!(shorts_seen > 50, "held short on {shorts_seen} steps");
    assert!(r.instruments[0].round_trips > 5, "{:?}", r.instruments[0]);
    assert!(
        r.label.text.contains("shorts: SOL/USDT (borrow 10%/yr)"),
        "{}",
        r.label.text
    );
    // Borrow accrued at every close the short was held (the last close is not observed here).
    let tail = rate * (-last_q).max(0.0) * max_close / 8760.0;
    assert!(observed > 0.0);
    assert!(
        r.financing >= observed - 1e-9 && r.financing <= observed + tail + 1e-9,
        "financing {} vs observed {observed}",
        r.financing
    );

    // Long-only (the default): no short edge, and a sell from flat fills nothing.
    let req = request(&["SOL/USDT"], 1);
    let mut s = SelectSession::open(&req, &[]).unwrap();
    while s.next(&mut cand, &mut state).unwrap().is_some() {
        assert!(cand[12].is_nan());
        assert!(state[3] >= 0.0);
        let mut o = [f64::NAN; ORDER_FIELDS];
        if cand[0] == 1.0 && cand[3].is_finite() {
            o[2] = cand[3];
            o[3] = 1.0;
        }
        s.apply(&o).unwrap();
    }
    assert_eq!(s.finish("sell only", None).metrics.trade_count, 0);

    // A short list naming an unknown symbol, or a bad rate, is refused by field.
    let mut req = request(&["SOL/USDT"], 1);
    req.shorts = Some(
        serde_json::from_value(serde_json::json!({ "symbols": ["ETH/USDT"], "borrowRate": 0.0 }))
            .unwrap(),
    );
    let e = SelectSession::open(&req, &[]).err().unwrap().to_string();
    assert!(
        e.contains("shorts.symbols") && e.contains("ETH/USDT"),
        "{e}"
    );
    req.shorts = Some(serde_json::from_value(serde_json::json!({ "borrowRate": -1.0 })).unwrap());
    let e = SelectSession::open(&req, &[]).err().unwrap().to_string();
    assert!(e.contains("shorts.borrowRate"), "{e}");
}

/// Seed `allow_reentry_same_bar`: a buy contingent on an exit spends that exit's proceeds on the
/// exit's own bar, only when the exit closed the long, and the run is labelled OPTIMISTIC.
#[test]
fn a_same_bar_reentry_spends_the_exit_proceeds_and_is_labelled() {
    let n = 2;
    let run = |reenter: bool| {
        let mut s = SelectSession::open(&request(&["BTC/USDT", "SOL/USDT"], 1), &[]).unwrap();
        let mut cand = vec![0.0; n * CAND_FIELDS];
        let mut state = vec![0.0; 3 + n * STATE_FIELDS];
        let mut orders = vec![f64::NAN; n * ORDER_FIELDS];
        let (mut reentries, mut same_bar) = (0, 0);
        let mut prev_q = [0.0_f64; 2];
        let mut contingent = false;
        while s.next(&mut cand, &mut state).unwrap().is_some() {
            let q = [state[3], state[3 + STATE_FIELDS]];
            // The last step's contingent SOL buy filled together with BTC's exit.
            if contingent && prev_q[0] > 0.0 && q[0] == 0.0 && q[1] > 0.0 && prev_q[1] == 0.0 {
                same_bar += 1;
            }
            contingent = false;
            orders.fill(f64::NAN);
            let (b, so) = (&cand[..CAND_FIELDS], &cand[CAND_FIELDS..2 * CAND_FIELDS]);
            // One slot: BTC only, rotated into SOL on the exit's bar when asked; SOL sells out.
            if q[0] > 0.0 && b[0] == 1.0 {
                orders[2] = b[3];
                orders[3] = 1.0;
                if reenter && q[1] == 0.0 && so[0] == 1.0 && so[1].is_finite() {
                    orders[ORDER_FIELDS] = so[1];
                    orders[ORDER_FIELDS + 1] = 1.0;
                    orders[ORDER_FIELDS + 4] = 0.0;
                    contingent = true;
                    reentries += 1;
                }
            } else if q[1] > 0.0 && so[0] == 1.0 {
                orders[ORDER_FIELDS + 2] = so[3];
                orders[ORDER_FIELDS + 3] = 1.0;
            } else if q == [0.0, 0.0] && b[0] == 1.0 && b[1].is_finite() {
                orders[0] = b[1];
                orders[1] = 1.0;
            }
            prev_q = q;
            s.apply(&orders).unwrap();
        }
        (s.finish("rotate", None), reentries, same_bar)
    };
    let (plain, none, _) = run(false);
    assert_eq!(none, 0);
    assert!(!plain.label.optimistic, "{}", plain.label.text);
    assert_eq!(
        plain.instruments[1].round_trips, 0,
        "SOL is never entered without re-entry"
    );
    let (r, placed, filled) = run(true);
    assert!(
        placed > 20 && filled > 5,
        "placed {placed}, filled together {filled}"
    );
    assert!(
        filled < placed,
        "a contingent buy rests only when the exit closes the long"
    );
    assert!(r.instruments[1].round_trips > 0);
    assert!(r.label.optimistic, "{}", r.label.text);
    assert!(
        r.label.text.contains("same-bar re-entry"),
        "{}",
        r.label.text
    );
}
