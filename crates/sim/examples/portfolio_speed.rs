//! Portfolio engine throughput: 14 symbols x 2018-2025 hourly (shared data), EMA cross on each,
//! one shared-cash portfolio folded over `Engine::step`, against the same work as 14 single-asset
//! `simulate` runs. Prints bar-rows/s (instrument bars processed per second).
//! Usage: cargo run --release -p tradelab-sim --example portfolio_speed [-- SPOT_1H_DIR]
use std::time::Instant;
use tradelab_data::{import::read_feather, Progress};
use tradelab_sim::engine::portfolio::{
    clock, run_portfolio, ActionOrders, Decision, InstrumentData, OrderSource,
};
use tradelab_sim::engine::{BarInput, Orders, State};
use tradelab_sim::{simulate, Engine, SimParams, Strategy};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "../shared/data/binance_roshan7869_algotrading/spot_1h".into());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("spot_1h dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feather"))
        .collect();
    files.sort();
    let bars: Vec<_> = files
        .iter()
        .map(|f| read_feather(f, &Progress::new()).expect("feather"))
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().replace("-1h", ""))
        .collect();
    let strat = Strategy::EmaCross {
        fast: 12,
        slow: 26,
        slack: 0.002,
    };
    let actions: Vec<_> = bars.iter().map(|b| strat.actions(b).unwrap()).collect();
    let p = SimParams::default();
    let rows: usize = bars.iter().map(|b| b.len()).sum();

    let t = Instant::now();
    for (b, a) in bars.iter().zip(&actions) {
        std::hint::black_box(simulate(b, a, &p).unwrap());
    }
    let singles = t.elapsed().as_secs_f64();

    let specs = names.iter().map(|n| p.instrument(n)).collect();
    let engine = Engine::new(p.engine_params(), specs).unwrap();
    let data: Vec<_> = bars
        .iter()
        .map(|b| InstrumentData::new(b, p.interval_ms))
        .collect();
    let t = Instant::now();
    let mut src = ActionOrders {
        actions: actions.iter().collect(),
        lag: 1,
        transform: p.order_transform(),
    };
    let r = run_portfolio(&engine, &data, &mut src).unwrap();
    let port = t.elapsed().as_secs_f64();

    // As paper trading will drive it: one call per closed bar from outside the engine, the
    // state written out and read back after every bar (a live loop persists it and may resume).
    let t = Instant::now();
    let clk = clock(&engine, &data).unwrap();
    let mut src = ActionOrders {
        actions: actions.iter().collect(),
        lag: 1,
        transform: p.order_transform(),
    };
    let n = bars.len();
    let mut st = engine.initial_state();
    let mut now: Vec<Option<BarInput>> = vec![None; n];
    let mut orders = vec![Orders::default(); n];
    let mut idx = vec![None; n];
    let mut fills = Vec::new();
    let mut persisted = 0usize;
    for s in 0..clk.ts.len() {
        for k in 0..n {
            idx[k] = clk.index[k][s];
            now[k] = idx[k].map(|i| {
                let b = &bars[k];
                BarInput::new(
                    b.ts[i],
                    b.open[i],
                    b.high[i],
                    b.low[i],
                    b.close[i],
                    b.volume[i],
                )
            });
        }
        orders.iter_mut().for_each(|o| *o = Orders::default());
        src.orders(
            &Decision {
                step: s,
                ts: clk.ts[s],
                bar_index: &idx,
                state: &st,
            },
            &mut orders,
        );
        engine.check_step(&now, &orders).unwrap();
        engine.step(&mut st, &now, &orders, &mut fills);
        let saved = serde_json::to_vec(&st).unwrap();
        persisted += saved.len();
        st = serde_json::from_slice::<State>(&saved).unwrap();
    }
    let stepped = t.elapsed().as_secs_f64();
    assert_eq!(
        fills.len(),
        r.fills.len(),
        "the stepped run is the same run"
    );
    assert_eq!(st.equity(), r.final_state.equity());
    println!(
        "{} symbols, {} bar-rows, {} clock steps, {} fills",
        bars.len(),
        rows,
        r.ts.len(),
        r.fills.len()
    );
    println!(
        "14 single-asset simulate runs: {singles:.3} s ({:.0} bar-rows/s)",
        rows as f64 / singles
    );
    println!(
        "shared-cash portfolio, bar by bar through step: {port:.3} s ({:.0} bar-rows/s)",
        rows as f64 / port
    );
    println!(
        "driven bar by bar from outside, state saved + restored each bar ({} KB/bar): {stepped:.3} s ({:.0} bar-rows/s, {:.1} us/bar)",
        persisted / clk.ts.len() / 1024,
        rows as f64 / stepped,
        stepped / clk.ts.len() as f64 * 1e6
    );
    println!(
        "portfolio total return {:.2}% ({})",
        r.metrics.curve.total_return * 100.0,
        p.describe().text
    );
    println!(
        "portfolio_bar_rows_per_s={:.0} vs_seed_pandas_4000={:.0}x",
        rows as f64 / port,
        rows as f64 / port / 4000.0
    );
}
