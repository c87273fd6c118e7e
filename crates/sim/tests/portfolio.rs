//! The portfolio engine: N = 1 parity with `simulate` on real bars, shared cash, order of
//! processing, gaps, shorts, funding, liquidation and bad input.
use std::path::PathBuf;
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_data::Store;
use tradelab_sim::engine::portfolio::{
    funding_per_bar, run_portfolio, ActionOrders, Decision, InstrumentData, OrderSource,
};
use tradelab_sim::engine::{Limit, OrderTransform, Orders, Size};
use tradelab_sim::model::Fees;
use tradelab_sim::{
    simulate, Actions, Engine, EngineParams, FillRule, InstrumentKind, InstrumentSpec, SimError,
    SimParams, Strategy,
};

fn store() -> Store {
    Store::open(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/store"))
}

fn sample(sym: &str) -> Bars {
    store()
        .read(&Symbol::parse(sym).unwrap(), Interval::H1)
        .expect("bundled sample store")
}

fn bars(rows: &[(i64, f64, f64, f64, f64)]) -> Bars {
    let mut b = Bars::with_capacity(rows.len());
    for &(h, o, hi, lo, c) in rows {
        b.ts.push(h * 3_600_000);
        b.open.push(o);
        b.high.push(hi);
        b.low.push(lo);
        b.close.push(c);
        b.volume.push(1000.0);
    }
    b
}

fn engine(n: usize, p: EngineParams) -> Engine {
    let specs = (0..n)
        .map(|k| {
            InstrumentSpec::spot(
                format!("S{k}/USDT"),
                Fees {
                    maker: 0.0,
                    taker: 0.0,
                },
            )
        })
        .collect();
    Engine::new(p, specs).unwrap()
}

#[test]
fn one_instrument_portfolio_equals_simulate_on_real_bars() {
    for sym in ["BTC/USDT", "SOL/USDT"] {
        let b = sample(sym);
        for strat in [
            Strategy::EmaCross {
                fast: 12,
                slow: 26,
                slack: 0.002,
            },
            Strategy::Band {
                buy_offset: 0.01,
                sell_offset: 0.01,
                buy_frac: 0.6,
                sell_frac: 1.0,
            },
        ] {
            let a = strat.actions(&b).unwrap();
            for p in [
                SimParams::default(),
                SimParams {
                    fill_rule: FillRule::Touch,
                    max_hold_bars: Some(24),
                    max_volume_fraction: Some(0.01),
                    ..Default::default()
                },
                SimParams {
                    decision_lag: 2,
                    intensity: 0.7,
                    price_offset_pct: 0.001,
                    ..Default::default()
                },
            ] {
                let single = simulate(&b, &a, &p).unwrap();
                let e = Engine::new(p.engine_params(), vec![p.instrument(sym)]).unwrap();
                let mut src = ActionOrders {
                    actions: vec![&a],
                    lag: p.decision_lag,
                    transform: p.order_transform(),
                };
                let r =
                    run_portfolio(&e, &[InstrumentData::new(&b, p.interval_ms)], &mut src).unwrap();
                assert_eq!(r.equity, single.equity, "{sym} {strat:?} {p:?}");
                let trades: Vec<_> = r.fills.iter().map(|f| f.trade).collect();
                assert_eq!(trades, single.trades);
                assert_eq!(r.metrics.curve, single.metrics.curve);
                assert_eq!(r.metrics.round_trips, single.metrics.round_trips);
                assert_eq!(r.metrics.exposure, single.metrics.exposure);
                assert!(single.trades.len() > 10, "the run trades");
            }
        }
    }
}

/// Orders fixed per clock step: (step, instrument, orders).
struct Script(Vec<(usize, usize, Orders)>);
impl OrderSource for Script {
    fn orders(&mut self, d: &Decision<'_>, out: &mut [Orders]) {
        for (s, k, o) in &self.0 {
            if *s == d.step {
                out[*k] = *o;
            }
        }
    }
}

fn buy(price: f64, size: Size) -> Orders {
    Orders {
        buy: Some(Limit { price, size }),
        sell: None,
        after_exit: None,
    }
}
fn sell(price: f64, size: Size) -> Orders {
    Orders {
        buy: None,
        sell: Some(Limit { price, size }),
        after_exit: None,
    }
}

#[test]
fn shared_cash_goes_to_instruments_in_order_and_sells_fund_only_the_next_bar() {
    let a = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 101.0, 90.0, 100.0),
        (2, 100.0, 110.0, 90.0, 100.0),
        (3, 100.0, 100.0, 100.0, 100.0),
    ]);
    let b = a.clone();
    let p = EngineParams {
        fill_rule: FillRule::Touch,
        starting_cash: 1000.0,
        ..Default::default()
    };
    let e = engine(2, p);
    // Step 1: both want all the cash: the first instrument gets it, the second nothing.
    // Step 2: the first sells at 105 while the second buys with 100 %: the sell's proceeds are
    // not available on the same bar (cash held before the sells is 0).
    let mut src = Script(vec![
        (1, 0, buy(100.0, Size::Frac(1.0))),
        (1, 1, buy(100.0, Size::Frac(1.0))),
        (2, 0, sell(105.0, Size::Frac(1.0))),
        (2, 1, buy(95.0, Size::Frac(1.0))),
        (3, 1, buy(100.0, Size::Frac(1.0))),
    ]);
    let r = run_portfolio(
        &e,
        &[
            InstrumentData::new(&a, 3_600_000),
            InstrumentData::new(&b, 3_600_000),
        ],
        &mut src,
    )
    .unwrap();
    let seq = fill_seq(&r);
    use tradelab_sim::Side::*;
    assert_eq!(seq, vec![(1, 0, Buy), (2, 0, Sell), (3, 1, Buy)]);
    assert_eq!(r.instruments[0].round_trips, 1);
    assert_eq!(r.instruments[0].win_rate, 1.0);
    assert_eq!(r.fills[2].trade.qty, 1050.0 / 100.0);
    assert_eq!(*r.equity.last().unwrap(), 1050.0);
}

/// (bar, instrument, side) of every fill, in booking order.
fn fill_seq(r: &tradelab_sim::engine::PortfolioResult) -> Vec<(usize, usize, tradelab_sim::Side)> {
    r.fills
        .iter()
        .map(|f| (f.trade.bar, f.instrument, f.trade.side))
        .collect()
}

fn after_exit(mut o: Orders, x: u32) -> Orders {
    o.after_exit = Some(x);
    o
}

#[test]
fn a_contingent_buy_spends_the_exit_proceeds_only_when_the_exit_closed_the_position() {
    // Instrument 0 reaches 105 on bar 2 (the exit fills) and 104 on bar 4 (it does not).
    let a = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 101.0, 90.0, 100.0),
        (2, 100.0, 110.0, 90.0, 100.0),
        (3, 100.0, 100.0, 100.0, 100.0),
        (4, 100.0, 104.0, 90.0, 100.0),
    ]);
    let b = a.clone();
    let p = EngineParams {
        fill_rule: FillRule::Touch,
        starting_cash: 1000.0,
        ..Default::default()
    };
    let e = engine(2, p.clone());
    let data = [
        InstrumentData::new(&a, 3_600_000),
        InstrumentData::new(&b, 3_600_000),
    ];
    let exit_and_reenter = |step| {
        vec![
            (step, 0, sell(105.0, Size::Frac(1.0))),
            (step, 1, after_exit(buy(95.0, Size::Frac(0.5)), 0)),
        ]
    };
    let mut script = vec![(1, 0, buy(100.0, Size::Frac(1.0)))];
    script.extend(exit_and_reenter(2));
    let r = run_portfolio(&e, &data, &mut Script(script)).unwrap();
    use tradelab_sim::Side::*;
    let seq = fill_seq(&r);
    // The plain rule (the shared-cash test above) buys nothing on bar 2; the contingent buy
    // spends half the exit's 1050.
    assert_eq!(seq, vec![(1, 0, Buy), (2, 0, Sell), (2, 1, Buy)]);
    assert_eq!(r.fills[2].trade.qty, 525.0 / 95.0);
    assert_eq!(r.fills[2].trade.cash_delta, -525.0);

    // The exit does not fill on bar 4: the contingent buy does not rest either.
    let mut script = vec![(3, 0, buy(100.0, Size::Frac(1.0)))];
    script.extend(exit_and_reenter(4));
    let r = run_portfolio(&e, &data, &mut Script(script)).unwrap();
    let seq = fill_seq(&r);
    assert_eq!(seq, vec![(3, 0, Buy)]);

    // Only one contingent buy spends an exit: the second (instrument order) gets nothing.
    let e3 = engine(3, p);
    let c = a.clone();
    let data3 = [
        InstrumentData::new(&a, 3_600_000),
        InstrumentData::new(&b, 3_600_000),
        InstrumentData::new(&c, 3_600_000),
    ];
    let mut script = vec![(1, 0, buy(100.0, Size::Frac(1.0)))];
    script.extend(exit_and_reenter(2));
    script.push((2, 2, after_exit(buy(95.0, Size::Frac(1.0)), 0)));
    let r = run_portfolio(&e3, &data3, &mut Script(script)).unwrap();
    let buys_on_2: Vec<_> = r
        .fills
        .iter()
        .filter(|f| f.trade.bar == 2 && f.trade.side == Buy)
        .map(|f| f.instrument)
        .collect();
    assert_eq!(buys_on_2, vec![1]);

    // A contingent buy on an instrument that was flat at the open never rests.
    let r = run_portfolio(
        &e,
        &data,
        &mut Script(vec![(1, 1, after_exit(buy(100.0, Size::Frac(1.0)), 0))]),
    )
    .unwrap();
    assert!(r.fills.is_empty());
}

#[test]
fn an_instrument_without_a_bar_gets_no_fill_and_keeps_its_last_close() {
    // Instrument 1 has no bar at hour 2 (a gap): its order there cannot fill; it is marked at 50.
    let a = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 100.0, 100.0, 100.0),
        (2, 100.0, 110.0, 100.0, 110.0),
        (3, 110.0, 110.0, 110.0, 110.0),
    ]);
    let b = bars(&[
        (0, 50.0, 50.0, 50.0, 50.0),
        (1, 50.0, 50.0, 50.0, 50.0),
        (3, 60.0, 60.0, 60.0, 60.0),
    ]);
    let p = EngineParams {
        fill_rule: FillRule::Touch,
        starting_cash: 1000.0,
        ..Default::default()
    };
    let e = engine(2, p);
    let mut src = Script(vec![
        (1, 1, buy(50.0, Size::Frac(0.5))),
        (2, 1, sell(50.0, Size::Frac(1.0))),
        (2, 0, buy(100.0, Size::Frac(0.5))),
    ]);
    let r = run_portfolio(
        &e,
        &[
            InstrumentData::new(&a, 3_600_000),
            InstrumentData::new(&b, 3_600_000),
        ],
        &mut src,
    )
    .unwrap();
    assert_eq!(r.ts.len(), 4);
    let on_gap: Vec<_> = r
        .fills
        .iter()
        .filter(|f| f.trade.bar == 2)
        .map(|f| f.instrument)
        .collect();
    assert_eq!(
        on_gap,
        vec![0],
        "only the instrument with a bar trades at the gap"
    );
    // Close of step 2: 500 cash → 250 in instrument 0 at 100 (now 110), 10 units of 1 at 50.
    assert_eq!(r.equity[2], 250.0 + 2.5 * 110.0 + 10.0 * 50.0);
}

#[test]
fn perpetual_short_receives_positive_funding_and_long_pays() {
    let px = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 100.0, 100.0, 100.0),
        (2, 100.0, 100.0, 100.0, 100.0),
        (3, 100.0, 100.0, 100.0, 100.0),
    ]);
    let mut spec = InstrumentSpec::spot(
        "BTC/USDT:USDT",
        Fees {
            maker: 0.0,
            taker: 0.0,
        },
    );
    spec.kind = InstrumentKind::Perpetual;
    let p = EngineParams {
        fill_rule: FillRule::Touch,
        starting_cash: 1000.0,
        ..Default::default()
    };
    for (qty, expect) in [(-2.0_f64, 0.02), (2.0, -0.02)] {
        let e = Engine::new(p.clone(), vec![spec.clone()]).unwrap();
        // Funding at hour 3 (the close of bar 2), rate +0.01 %, and at the edges for coverage.
        let fts = [0, 3 * 3_600_000, 4 * 3_600_000];
        let rate = [0.0, 0.0001, 0.0];
        let o = if qty < 0.0 {
            sell(100.0, Size::Qty(-qty))
        } else {
            buy(100.0, Size::Qty(qty))
        };
        let mut src = Script(vec![(1, 0, o)]);
        let mut d = InstrumentData::new(&px, 3_600_000);
        d.funding = Some((&fts, &rate));
        let r = run_portfolio(&e, &[d], &mut src).unwrap();
        assert!((r.funding - expect).abs() < 1e-15, "{qty}: {}", r.funding);
        assert_eq!(r.instruments[0].final_qty, qty);
        assert!((r.equity[3] - (1000.0 + expect)).abs() < 1e-9);
    }
}

#[test]
fn funding_on_freqtrade_testdata_matches_hand_computation() {
    let dir = shared().join("freqtrade_testdata/futures");
    let read = |f: &str| {
        tradelab_data::import::read_feather(&dir.join(f), &tradelab_data::Progress::new())
            .unwrap_or_else(|e| panic!("{f}: {e}"))
    };
    let perp = read("XRP_USDT_USDT-1h-futures.feather");
    let mark = read_mark(&dir.join("XRP_USDT_USDT-1h-mark.feather"));
    let (fs, _) = tradelab_data::series::read_funding_file(
        &dir.join("XRP_USDT_USDT-8h-funding_rate.feather"),
    )
    .unwrap();
    // The mark file may cover a different range: align mark closes to the perp bars.
    let mut mark_close = Vec::new();
    let mut perp_in = Bars::default();
    for i in 0..perp.len() {
        if let Ok(j) = mark.ts.binary_search(&perp.ts[i]) {
            perp_in.push_from(&perp, i);
            mark_close.push(mark.close[j]);
        }
    }
    // Keep the part the funding series covers.
    let first_f = fs.ts[0];
    let last_f = *fs.ts.last().unwrap();
    let keep: Vec<usize> = (0..perp_in.len())
        .filter(|&i| perp_in.ts[i] >= first_f && perp_in.ts[i] + 3_600_000 <= last_f)
        .collect();
    assert!(
        keep.len() > 24,
        "perp, mark and funding overlap ({} bars)",
        keep.len()
    );
    let mut b = Bars::default();
    let mut m = Vec::new();
    for &i in &keep {
        b.push_from(&perp_in, i);
        m.push(mark_close[i]);
    }
    let mut spec = InstrumentSpec::spot(
        "XRP/USDT:USDT",
        Fees {
            maker: 0.0,
            taker: 0.0,
        },
    );
    spec.kind = InstrumentKind::Perpetual;
    let e = Engine::new(
        EngineParams {
            fill_rule: FillRule::Touch,
            starting_cash: 10_000.0,
            leverage: 2.0,
            ..Default::default()
        },
        vec![spec],
    )
    .unwrap();
    // Short 1000 XRP at the first bar's open (market-like limit far below), hold to the end.
    let mut src = Script(vec![(0, 0, sell(1e-6, Size::Qty(1000.0)))]);
    let mut d = InstrumentData::new(&b, 3_600_000);
    d.funding = Some((&fs.ts, &fs.rate));
    d.mark_close = Some(&m);
    let r = run_portfolio(&e, &[d], &mut src).unwrap();
    // Hand computation: every funding event F strictly after the first bar's open and within the
    // last bar's close pays -q × mark(close of the bar ending at F) × rate.
    let mut expect = 0.0;
    let mut settled = 0;
    for (k, &f) in fs.ts.iter().enumerate() {
        if f > b.ts[0] && f <= b.ts[b.len() - 1] + 3_600_000 {
            // The bar whose span (open, open + 1h] holds F; a funding time in a data gap pays nothing.
            if let Some(i) = b.ts.iter().position(|&t| t < f && f <= t + 3_600_000) {
                expect += 1000.0 * m[i] * fs.rate[k];
                settled += 1;
            }
        }
    }
    assert!(
        expect != 0.0 && settled >= 3,
        "{settled} funding events settled"
    );
    assert!(
        (r.funding - expect).abs() < 1e-9,
        "engine {} hand {}",
        r.funding,
        expect
    );
    assert_eq!(r.instruments[0].funding, r.funding);
}

/// freqtrade mark files have no volume: read (date, close) with arrow directly.
fn read_mark(path: &std::path::Path) -> Bars {
    use arrow::array::{Array, Float64Array, TimestampNanosecondArray};
    let r = arrow::ipc::reader::FileReader::try_new(
        std::fs::File::open(path).expect("mark file"),
        None,
    )
    .unwrap();
    let mut b = Bars::default();
    for batch in r {
        let batch = batch.unwrap();
        let ts = batch
            .column_by_name("date")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampNanosecondArray>()
            .expect("date as ns")
            .clone();
        let close = batch
            .column_by_name("close")
            .unwrap()
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap()
            .clone();
        for i in 0..ts.len() {
            b.ts.push(ts.value(i) / 1_000_000);
            b.close.push(close.value(i));
        }
    }
    b
}

fn shared() -> PathBuf {
    std::env::var_os("TRADELAB_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

#[test]
fn leveraged_long_is_liquidated_at_maintenance_margin() {
    // 3x long at 100; the next bar's low 70 puts equity (1000 − 3000·0.3 = 100) below 5 % of
    // exposure (2100 × 0.05 = 105): everything is closed at the low with the taker fee.
    let px = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 100.0, 100.0, 100.0),
        (2, 100.0, 100.0, 70.0, 90.0),
        (3, 90.0, 90.0, 90.0, 90.0),
    ]);
    let spec = InstrumentSpec::spot(
        "X/USDT",
        Fees {
            maker: 0.0,
            taker: 0.001,
        },
    );
    let e = Engine::new(
        EngineParams {
            fill_rule: FillRule::Touch,
            starting_cash: 1000.0,
            leverage: 3.0,
            ..Default::default()
        },
        vec![spec],
    )
    .unwrap();
    let mut src = Script(vec![(1, 0, buy(100.0, Size::Frac(1.0)))]);
    let r = run_portfolio(&e, &[InstrumentData::new(&px, 3_600_000)], &mut src).unwrap();
    assert_eq!(r.liquidations, 1);
    let liq = r.fills.last().unwrap().trade;
    assert_eq!(
        (liq.bar, liq.price, liq.reason),
        (2, 70.0, tradelab_sim::TradeReason::Liquidation)
    );
    assert_eq!(r.instruments[0].final_qty, 0.0);
    assert!((r.equity[3] - (1000.0 - 30.0 * 30.0 - 30.0 * 70.0 * 0.001)).abs() < 1e-9);
}

#[test]
fn spot_is_long_only_unless_shorting_is_allowed() {
    let px = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 100.0, 100.0, 100.0),
        (2, 100.0, 100.0, 100.0, 100.0),
    ]);
    let p = EngineParams {
        fill_rule: FillRule::Touch,
        starting_cash: 1000.0,
        ..Default::default()
    };
    let e = engine(1, p.clone());
    let r = run_portfolio(
        &e,
        &[InstrumentData::new(&px, 3_600_000)],
        &mut Script(vec![(1, 0, sell(100.0, Size::Qty(1.0)))]),
    )
    .unwrap();
    assert!(r.fills.is_empty(), "no short on spot by default");
    let mut spec = InstrumentSpec::spot(
        "X/USDT",
        Fees {
            maker: 0.0,
            taker: 0.0,
        },
    );
    spec.allow_short = true;
    let e = Engine::new(
        EngineParams {
            borrow_rate: 0.0876,
            ..p
        },
        vec![spec],
    )
    .unwrap();
    let r = run_portfolio(
        &e,
        &[InstrumentData::new(&px, 3_600_000)],
        &mut Script(vec![(1, 0, sell(100.0, Size::Qty(1.0)))]),
    )
    .unwrap();
    assert_eq!(r.instruments[0].final_qty, -1.0);
    // Borrow cost: 100 notional × 8.76 %/year for 2 hourly bars = 0.002.
    assert!((r.financing - 0.002).abs() < 1e-12, "{}", r.financing);
}

#[test]
fn bad_inputs_name_the_instrument_and_field() {
    let px = bars(&[
        (0, 100.0, 100.0, 100.0, 100.0),
        (1, 100.0, 100.0, 100.0, 100.0),
    ]);
    let e = engine(1, EngineParams::default());
    let err = run_portfolio(
        &e,
        &[InstrumentData::new(&px, 3_600_000)],
        &mut Script(vec![(1, 0, buy(f64::NAN, Size::Frac(1.0)))]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "instrument S0/USDT: buy order price NaN must be finite and > 0"
    );
    let err = run_portfolio(
        &e,
        &[InstrumentData::new(&px, 3_600_000)],
        &mut Script(vec![(1, 0, sell(100.0, Size::Qty(-1.0)))]),
    )
    .unwrap_err();
    assert!(err.to_string().contains("sell order quantity -1"), "{err}");
    let err = run_portfolio(
        &e,
        &[InstrumentData::new(&px, 3_600_000)],
        &mut Script(vec![(1, 0, after_exit(buy(100.0, Size::Frac(1.0)), 3))]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "instrument S0/USDT: `afterExit` = 3: no such instrument (this portfolio has 1)"
    );
    let err = Engine::new(
        EngineParams {
            leverage: 0.5,
            ..Default::default()
        },
        vec![InstrumentSpec::spot("A/B", Fees::default())],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid parameter `leverage` = 0.5: must be finite and >= 1"
    );
    let e2 = engine(2, EngineParams::default());
    let err = run_portfolio(
        &e2,
        &[
            InstrumentData::new(&px, 3_600_000),
            InstrumentData::new(&px, 300_000),
        ],
        &mut Script(vec![]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, SimError::Instrument { symbol, reason } if symbol == "S1/USDT" && reason.contains("one portfolio needs one interval")),
        "{err}"
    );
    let err = funding_per_bar(
        "P/USDT:USDT",
        &px,
        3_600_000,
        &[10 * 3_600_000, 18 * 3_600_000],
        &[0.0, 0.0],
    )
    .unwrap_err();
    assert!(err.to_string().contains("funding series covers"), "{err}");
    let err = e.index_of("NOPE/USDT").unwrap_err();
    assert_eq!(
        err.to_string(),
        "instrument NOPE/USDT: unknown instrument (this portfolio has S0/USDT)"
    );
}

#[test]
fn state_round_trips_through_json_and_resumes_identically() {
    let b = sample("ETH/USDT");
    let a = Strategy::EmaCross {
        fast: 8,
        slow: 30,
        slack: 0.001,
    }
    .actions(&b)
    .unwrap();
    let p = SimParams::default();
    let whole = simulate(&b, &a, &p).unwrap();
    // Drive the step by hand, persisting and restoring the state before every bar, as a live
    // loop that may restart at any bar does. The restored state must be the same bits (serde_json
    // parses floats exactly only with `float_roundtrip`; without it this drifted by 1e-12).
    let e = Engine::new(p.engine_params(), vec![p.instrument("ETH/USDT")]).unwrap();
    let mut st = e.initial_state();
    let mut fills = Vec::new();
    let tf = p.order_transform();
    for i in 0..b.len() {
        let json = serde_json::to_string(&st).unwrap();
        let restored: tradelab_sim::engine::State = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, st, "bar {i}: the state changed through JSON");
        st = restored;
        let bar = tradelab_sim::BarInput::new(
            b.ts[i],
            b.open[i],
            b.high[i],
            b.low[i],
            b.close[i],
            b.volume[i],
        );
        let o = i
            .checked_sub(1)
            .map(|r| tradelab_sim::engine::orders_from_row(&a, r, &tf))
            .unwrap_or_default();
        e.step(&mut st, &[Some(bar)], &[o], &mut fills);
    }
    assert_eq!(st.equity(), *whole.equity.last().unwrap());
    assert_eq!(fills.len(), whole.trades.len());
    let _ = (Actions::empty(0), OrderTransform::default());
}

#[test]
fn a_quantity_cover_closes_the_short_to_exactly_zero() {
    // cost / unit cost rounds: (q × u) / u != q for these pairs, so sizing the cover from its
    // cost left float dust behind and the position (and its round trip) never closed.
    for (q, px) in [
        (0.0025, 99.99),
        (0.0025, 61234.5),
        (7.77, 0.731),
        (0.0731, 123.457),
    ] {
        let b = bars(&[
            (0, px, px, px, px),
            (1, px, px, px, px),
            (2, px, px, px, px),
            (3, px, px, px, px),
        ]);
        let mut spec = InstrumentSpec::spot(
            "X/USDT",
            Fees {
                maker: 0.0005,
                taker: 0.0005,
            },
        );
        spec.allow_short = true;
        let e = Engine::new(
            EngineParams {
                fill_rule: FillRule::Touch,
                starting_cash: 100_000.0,
                ..Default::default()
            },
            vec![spec],
        )
        .unwrap();
        let r = run_portfolio(
            &e,
            &[InstrumentData::new(&b, 3_600_000)],
            &mut Script(vec![
                (1, 0, sell(px, Size::Qty(q))),
                (2, 0, buy(px, Size::Qty(q))),
            ]),
        )
        .unwrap();
        assert_eq!(r.fills.len(), 2, "q {q} px {px}");
        assert_eq!(r.instruments[0].final_qty, 0.0, "q {q} px {px}: dust left");
        assert_eq!(r.instruments[0].round_trips, 1);
    }
}
