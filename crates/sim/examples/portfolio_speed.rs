//! Portfolio engine throughput: 14 symbols x 2018-2025 hourly (shared data), EMA cross on each,
//! one shared-cash portfolio folded over `Engine::step`, against the same work as 14 single-asset
//! `simulate` runs. Prints bar-rows/s (instrument bars processed per second).
//! Usage: cargo run --release -p tradelab-sim --example portfolio_speed [-- SPOT_1H_DIR]
use std::time::Instant;
use tradelab_data::{import::read_feather, Progress};
use tradelab_sim::engine::portfolio::{run_portfolio, ActionOrders, InstrumentData};
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
