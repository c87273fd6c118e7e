//! Property tests: kernel == reference, accounting invariants, no look-ahead.
mod common;

use common::*;
use proptest::prelude::*;
use tradelab_core::Bars;
use tradelab_sim::{
    run_batch, simulate, Actions, FillRule, Side, SimParams, SimResult, Strategy as Strat,
    TradeReason,
};

fn flat_bars(prices: &[f64]) -> Bars {
    let mut b = Bars::with_capacity(prices.len());
    for (i, &p) in prices.iter().enumerate() {
        b.ts.push(i as i64 * 3_600_000);
        b.open.push(p);
        b.high.push(p);
        b.low.push(p);
        b.close.push(p);
        b.volume.push(1e9);
    }
    b
}

/// Replays the trades' cash deltas and quantities bar by bar; must equal the simulator exactly.
fn check_conservation(r: &SimResult, start_cash: f64) {
    let mut cash = start_cash;
    let mut inv = 0.0_f64;
    let mut k = 0;
    for bar in 0..r.equity.len() {
        while k < r.trades.len() && r.trades[k].bar == bar {
            let t = r.trades[k];
            cash += t.cash_delta;
            match (t.side, t.reason) {
                (_, TradeReason::IntrabarCycle) => {}
                (Side::Buy, _) => inv += t.qty,
                (Side::Sell, TradeReason::MaxHold) => inv = 0.0,
                (Side::Sell, _) => inv -= t.qty,
            }
            k += 1;
        }
        assert_eq!(cash.to_bits(), r.cash[bar].to_bits(), "cash at bar {bar}");
        assert_eq!(
            inv.to_bits(),
            r.inventory[bar].to_bits(),
            "inventory at bar {bar}"
        );
    }
    assert_eq!(k, r.trades.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// The batched kernel equals the reference bit for bit, for several random parameter sets
    /// packed into the same blocks (lanes with different parameters).
    #[test]
    fn kernel_matches_reference(
        bars in bars_strategy(160),
        draws in action_draws(),
        params in prop::collection::vec(params_strategy(), 1..20),
    ) {
        let actions = actions_for(&bars, &draws);
        let out = run_batch(&bars, &actions, &params, None).unwrap();
        prop_assert_eq!(out.metrics.len(), params.len());
        for (p, m) in params.iter().zip(&out.metrics) {
            let r = simulate(&bars, &actions, p).unwrap();
            prop_assert_eq!(&r.metrics, m, "params {:?}", p);
        }
    }

    /// Same with strategy-made actions (the sweep's path).
    #[test]
    fn kernel_matches_reference_on_strategies(
        bars in bars_strategy(300),
        fast in 1usize..8, extra in 1usize..20, slack in 0.0..0.01f64,
        a in 0.0..0.02f64, b in 0.0..0.02f64, ema in any::<bool>(),
        params in prop::collection::vec(params_strategy(), 1..12),
    ) {
        let strategies = [
            if ema { Strat::EmaCross { fast, slow: fast + extra, slack } } else { Strat::SmaCross { fast, slow: fast + extra, slack } },
            Strat::Band { buy_offset: a, sell_offset: b, buy_frac: 1.0, sell_frac: 0.5 },
        ];
        for s in strategies {
            let actions = s.actions(&bars).unwrap();
            let out = run_batch(&bars, &actions, &params, None).unwrap();
            for (p, m) in params.iter().zip(&out.metrics) {
                prop_assert_eq!(&simulate(&bars, &actions, p).unwrap().metrics, m);
            }
        }
    }

    /// Fills stay inside the bar's range; cash and inventory never go negative and are exactly
    /// the replay of the recorded fills.
    #[test]
    fn fills_in_range_and_accounting_exact(
        bars in bars_strategy(160),
        draws in action_draws(),
        p in params_strategy(),
    ) {
        let actions = actions_for(&bars, &draws);
        let r = simulate(&bars, &actions, &p).unwrap();
        for t in &r.trades {
            prop_assert!(t.price >= bars.low[t.bar] && t.price <= bars.high[t.bar], "{:?} outside bar", t);
            prop_assert!(t.qty > 0.0 && t.fee >= 0.0);
        }
        for i in 0..bars.len() {
            prop_assert!(r.cash[i] >= 0.0, "cash {} at {}", r.cash[i], i);
            prop_assert!(r.inventory[i] >= 0.0, "inventory {} at {}", r.inventory[i], i);
            prop_assert!(r.equity[i].is_finite());
        }
        check_conservation(&r, p.starting_cash);
    }

    /// Charging fees never leaves equity above the zero-fee run (no volume cap: a cap lets the
    /// smaller fee-run sell leave more of the bar's volume for its buy; no intrabar cycles).
    #[test]
    fn fees_only_reduce_equity(
        bars in bars_strategy(160),
        draws in action_draws(),
        p in params_strategy(),
        maker in 1e-5..0.01f64, taker in 1e-5..0.01f64,
    ) {
        let actions = actions_for(&bars, &draws);
        let base = SimParams { max_volume_fraction: None, max_round_trips_per_bar: 0, ..p };
        let free = simulate(&bars, &actions, &SimParams { maker_fee: 0.0, taker_fee: 0.0, ..base.clone() }).unwrap();
        let paid = simulate(&bars, &actions, &SimParams { maker_fee: maker, taker_fee: taker, ..base }).unwrap();
        for i in 0..bars.len() {
            prop_assert!(paid.equity[i] <= free.equity[i] * (1.0 + 1e-12), "bar {}: {} > {}", i, paid.equity[i], free.equity[i]);
        }
    }

    /// With lag >= 1 the fills of bars 0..=k do not depend on action rows k.. (a row never fills
    /// on its own decision bar, nor earlier).
    #[test]
    fn no_fill_uses_a_row_from_its_own_bar(
        bars in bars_strategy(120),
        draws in action_draws(),
        other in action_draws(),
        p in params_strategy(),
        cut in 0usize..120,
    ) {
        let p = SimParams { decision_lag: p.decision_lag.max(1), ..p };
        let k = cut % bars.len();
        let a = actions_for(&bars, &draws);
        let b = actions_for(&bars, &other);
        let mut mixed = a.clone();
        for t in k..bars.len() {
            mixed.buy_price[t] = b.buy_price[t];
            mixed.sell_price[t] = b.sell_price[t];
            mixed.buy_frac[t] = b.buy_frac[t];
            mixed.sell_frac[t] = b.sell_frac[t];
        }
        let ra = simulate(&bars, &a, &p).unwrap();
        let rm = simulate(&bars, &mixed, &p).unwrap();
        let upto = |r: &SimResult| r.trades.iter().filter(|t| t.bar <= k).copied().collect::<Vec<_>>();
        prop_assert_eq!(upto(&ra), upto(&rm));
        prop_assert_eq!(&ra.equity[..=k], &rm.equity[..=k]);
    }

    /// An order placed on row t with lag L fills on bar t + L or not at all.
    #[test]
    fn single_order_fills_exactly_lag_bars_later(
        bars in bars_strategy(60), t in 0usize..60, lag in 1usize..4, below in 0.0..0.01f64,
    ) {
        let t = t % bars.len();
        let mut a = Actions::empty(bars.len());
        a.buy_price[t] = bars.close[t] * (1.0 + below);
        a.buy_frac[t] = 1.0;
        let p = SimParams { decision_lag: lag, ..SimParams::default() };
        let r = simulate(&bars, &a, &p).unwrap();
        for tr in &r.trades {
            prop_assert_eq!(tr.bar, t + lag);
        }
    }

    /// Strategy actions are causal: row t is unchanged when later bars are dropped or altered.
    #[test]
    fn strategies_are_causal(
        bars in bars_strategy(200), other in bars_strategy(200), cut in 0usize..200,
        fast in 1usize..6, extra in 1usize..12,
    ) {
        let t = cut % bars.len();
        let truncated = slice_bars(&bars, t + 1);
        let mut altered = bars.clone();
        for i in t + 1..bars.len() {
            let j = i % other.len();
            altered.open[i] = other.open[j];
            altered.high[i] = other.high[j];
            altered.low[i] = other.low[j];
            altered.close[i] = other.close[j];
        }
        for s in [
            Strat::SmaCross { fast, slow: fast + extra, slack: 0.002 },
            Strat::EmaCross { fast, slow: fast + extra, slack: 0.002 },
            Strat::Band { buy_offset: 0.01, sell_offset: 0.01, buy_frac: 1.0, sell_frac: 1.0 },
        ] {
            let full = s.actions(&bars).unwrap();
            for other_bars in [&truncated, &altered] {
                let x = s.actions(other_bars).unwrap();
                for r in 0..=t {
                    prop_assert_eq!(full.buy_price[r].to_bits(), x.buy_price[r].to_bits());
                    prop_assert_eq!(full.sell_price[r].to_bits(), x.sell_price[r].to_bits());
                    prop_assert_eq!(full.buy_frac[r].to_bits(), x.buy_frac[r].to_bits());
                    prop_assert_eq!(full.sell_frac[r].to_bits(), x.sell_frac[r].to_bits());
                }
            }
        }
    }

    /// No fee, buy then later sell at the same price: equity comes back to starting cash.
    /// Exact when all cash is used at a power-of-two price (cash / price is then exact);
    /// otherwise within the roundings of cash / price × price and the partial-cash split.
    #[test]
    fn zero_fee_round_trip_at_equal_prices(
        cash in 1.0..1e7f64, exp in -6i32..12, price in 0.01..5000.0f64, hold in 1usize..5, frac in 0.01..1.0f64,
        cross in any::<bool>(),
    ) {
        for (px, frac, exact) in [(2f64.powi(exp), 1.0, true), (price, frac, false)] {
            let bars = flat_bars(&vec![px; hold + 3]);
            let mut a = Actions::empty(bars.len());
            a.buy_price[0] = px;
            a.buy_frac[0] = frac;
            a.sell_price[hold] = px;
            a.sell_frac[hold] = 1.0;
            let p = SimParams {
                maker_fee: 0.0,
                taker_fee: 0.0,
                starting_cash: cash,
                fill_rule: if cross { FillRule::Cross { buffer: 0.0 } } else { FillRule::Touch },
                ..SimParams::default()
            };
            let r = simulate(&bars, &a, &p).unwrap();
            let last = *r.equity.last().unwrap();
            if cross {
                // Flat bars never trade through the limit: nothing fills, nothing changes.
                prop_assert!(r.trades.is_empty());
                prop_assert_eq!(last, cash);
            } else if exact {
                prop_assert_eq!(r.trades.len(), 2);
                prop_assert_eq!(last, cash);
            } else {
                prop_assert!((last - cash).abs() <= cash * 4.0 * f64::EPSILON, "{} vs {}", last, cash);
            }
        }
    }
}

fn slice_bars(b: &Bars, n: usize) -> Bars {
    let mut out = Bars::with_capacity(n);
    for i in 0..n {
        out.push_from(b, i);
    }
    out
}

/// The kernel's SIMD level is fixed per process (`TRADELAB_SIM_SIMD` is read once), so the
/// property tests are rerun in child processes with AVX2 and scalar forced.
#[test]
fn every_simd_level_matches_the_step_fold() {
    if std::env::var_os("TRADELAB_SIM_SIMD").is_some() {
        return; // already a child
    }
    let exe = std::env::current_exe().unwrap();
    for level in ["avx2", "scalar"] {
        let out = std::process::Command::new(&exe)
            .args(["kernel_matches_reference", "--test-threads", "1"])
            .env("TRADELAB_SIM_SIMD", level)
            .env("PROPTEST_CASES", "64")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{level}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("2 passed"),
            "{level}: both kernel properties ran: {text}"
        );
    }
}
