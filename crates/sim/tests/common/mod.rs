//! Generators shared by the integration tests.
#![allow(dead_code)]
use proptest::prelude::*;
use tradelab_core::Bars;
use tradelab_sim::{Actions, FillRule, SimParams};

/// Random-walk bars from per-bar (return, open gap, high wick, low wick, volume) draws. With
/// `tick` > 0 prices are rounded to the tick so limits often equal a high or low exactly
/// (exercising touch vs cross ties).
pub fn walk(steps: &[(f64, f64, f64, f64, f64)], tick: f64) -> Bars {
    let mut b = Bars::with_capacity(steps.len());
    let mut x = 100.0_f64;
    let round = |v: f64| {
        if tick > 0.0 {
            ((v / tick).round() * tick).max(tick)
        } else {
            v
        }
    };
    for (i, &(r, gap, up, down, vol)) in steps.iter().enumerate() {
        let o = round(x * (1.0 + gap));
        x = (x * (1.0 + r)).max(1.0);
        let c = round(x);
        let h = round(o.max(c) * (1.0 + up));
        let l = round(o.min(c) * (1.0 - down));
        b.ts.push(i as i64 * 3_600_000);
        b.open.push(o);
        b.high.push(h.max(o).max(c));
        b.low.push(l.min(o).min(c));
        b.close.push(c);
        b.volume.push(vol);
    }
    b
}

pub fn steps(max_len: usize) -> impl Strategy<Value = Vec<(f64, f64, f64, f64, f64)>> {
    prop::collection::vec(
        (
            -0.03..0.03f64,
            prop_oneof![Just(0.0), -0.01..0.01f64],
            prop_oneof![Just(0.0), 0.0..0.02f64],
            prop_oneof![Just(0.0), 0.0..0.02f64],
            prop_oneof![Just(0.0), 0.0..200.0f64],
        ),
        1..max_len,
    )
}

pub fn bars_strategy(max_len: usize) -> impl Strategy<Value = Bars> {
    (
        steps(max_len),
        prop_oneof![Just(0.0), Just(0.5), Just(0.01)],
    )
        .prop_map(|(s, tick)| walk(&s, tick))
}

/// Random orders around each close; some rows without orders, some NaN/negative fractions.
pub fn actions_for(bars: &Bars, draws: &[(f64, f64, f64, f64, u8)]) -> Actions {
    let n = bars.len();
    let mut a = Actions::empty(n);
    for t in 0..n {
        let (db, ds, fb, fs, kind) = draws[t % draws.len()];
        let c = bars.close[t];
        a.buy_price[t] = if kind % 7 == 0 {
            f64::NAN
        } else {
            c * (1.0 + db)
        };
        a.sell_price[t] = if kind % 5 == 0 {
            f64::INFINITY
        } else {
            c * (1.0 + ds)
        };
        a.buy_frac[t] = if kind % 11 == 0 { f64::NAN } else { fb };
        a.sell_frac[t] = fs;
        if kind % 13 == 0 {
            // Exactly the close: ties with the next bar's open/high/low on tick-rounded bars.
            a.buy_price[t] = c;
            a.sell_price[t] = c;
        }
    }
    a
}

pub fn action_draws() -> impl Strategy<Value = Vec<(f64, f64, f64, f64, u8)>> {
    prop::collection::vec(
        (
            -0.03..0.01f64,
            -0.01..0.03f64,
            -0.2..1.5f64,
            -0.2..1.5f64,
            any::<u8>(),
        ),
        1..40,
    )
}

/// Half full random parameters, half "plain" ones (no hold, cycles, volume cap, gap or one-side)
/// so the kernel's fast profile is exercised as often as the general one.
pub fn params_strategy() -> impl Strategy<Value = SimParams> {
    prop_oneof![
        any_params(),
        any_params().prop_map(|p| SimParams {
            max_hold_bars: None,
            max_round_trips_per_bar: 0,
            max_volume_fraction: None,
            min_gap_pct: None,
            one_side_per_bar: false,
            ..p
        }),
    ]
}

fn any_params() -> impl Strategy<Value = SimParams> {
    (
        (
            0usize..4,
            prop_oneof![Just(None), Just(Some(0.0)), (0.0..0.003f64).prop_map(Some)],
            prop_oneof![Just(0.0), 0.0..0.003f64],
            0.0..0.003f64,
        ),
        (
            prop_oneof![Just(None), (0.001..1.0f64).prop_map(Some)],
            prop_oneof![Just(0u32), 1u32..5],
            prop_oneof![Just(1.0), 0.0..2.0f64],
        ),
        (
            prop_oneof![Just(0.0), 0.0..0.003f64],
            prop_oneof![Just(None), Just(Some(0.0)), (0.0..0.01f64).prop_map(Some)],
            prop_oneof![Just(None), (1usize..10).prop_map(Some)],
        ),
        (
            10.0..100_000.0f64,
            any::<bool>(),
            prop_oneof![Just(None), (0.1..3.0f64).prop_map(Some)],
        ),
    )
        .prop_map(
            |(
                (lag, buffer, maker, taker),
                (vf, rt, intensity),
                (offset, gap, hold),
                (cash, one_side, window),
            )| {
                SimParams {
                    decision_lag: lag,
                    fill_rule: buffer.map_or(FillRule::Touch, |b| FillRule::Cross { buffer: b }),
                    maker_fee: maker,
                    taker_fee: taker,
                    max_volume_fraction: vf,
                    max_round_trips_per_bar: rt,
                    intensity,
                    price_offset_pct: offset,
                    min_gap_pct: gap,
                    max_hold_bars: hold,
                    starting_cash: cash,
                    one_side_per_bar: one_side,
                    interval_ms: 3_600_000,
                    last_window_days: window,
                    periods_per_year: None,
                }
            },
        )
}
