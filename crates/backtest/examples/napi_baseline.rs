//! The Rust side of `scripts/bench/napi/run.sh`: the same backtest and sweep requests the Node
//! side sends through the addon, run in-process with no N-API in between. Best of `reps` wall
//! times, as JSON on stdout: `{"backtest": s, "sweep": s}`.
use std::time::Instant;
use tradelab_backtest::{single, sweep};

fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..reps {
        let t = Instant::now();
        std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, backtest_json, window_json, symbol, spec_json, reps] = args.as_slice() else {
        return Err("usage: napi_baseline BACKTEST_JSON WINDOW_JSON SYMBOL SPEC_JSON REPS".into());
    };
    let reps: usize = reps.parse()?;
    let req: single::SingleRequest = serde_json::from_str(backtest_json)?;
    let window = serde_json::from_str(window_json)?;
    // Warm the page cache and the thread pool as the Node side's first call does.
    single::run(&req, None)?;
    sweep::run(&window, symbol, spec_json, None, None)?;
    let bt = best(reps, || single::run(&req, None).map(|r| r.0.trades.len()));
    let sw = best(reps, || {
        sweep::run(&window, symbol, spec_json, None, None).map(|r| r.1.len())
    });
    println!("{}", serde_json::json!({ "backtest": bt, "sweep": sw }));
    Ok(())
}
