//! Kernel throughput: 1,000 parameter sets × 70,000 hourly bars of the band strategy.
//! Run with `cargo run --release -p tradelab-sim --example kernel_speed [sets] [bars]`.
use std::time::Instant;
use tradelab_core::Bars;
use tradelab_sim::{run_batch, simd_level, total_bar_evaluations, SimParams, Strategy};

fn random_walk(n: usize) -> Bars {
    let mut b = Bars::with_capacity(n);
    let (mut x, mut seed) = (100.0_f64, 42_u64);
    let mut u = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    for i in 0..n {
        let o = x;
        x *= 1.0 + 0.01 * (u() - 0.5);
        b.ts.push(i as i64 * 3_600_000);
        b.open.push(o);
        b.close.push(x);
        b.high.push(o.max(x) * (1.0 + 0.004 * u()));
        b.low.push(o.min(x) * (1.0 - 0.004 * u()));
        b.volume.push(1000.0 * u());
    }
    b
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sets = args.first().copied().unwrap_or(1000);
    let n = args.get(1).copied().unwrap_or(70_000);
    let bars = random_walk(n);
    let params: Vec<SimParams> = (0..sets)
        .map(|k| SimParams {
            intensity: 0.2 + 0.8 * (k % 10) as f64 / 9.0,
            price_offset_pct: 0.0001 * ((k / 10) % 10) as f64,
            maker_fee: 0.0001 * (k / 100) as f64,
            ..SimParams::default()
        })
        .collect();
    let evals = (sets * n) as f64;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let cases = [
        (
            "band 0.2% (fills most bars)",
            Strategy::Band {
                buy_offset: 0.002,
                sell_offset: 0.002,
                buy_frac: 1.0,
                sell_frac: 1.0,
            },
        ),
        (
            "ema 12/48 crossover (few fills)",
            Strategy::EmaCross {
                fast: 12,
                slow: 48,
                slack: 0.002,
            },
        ),
    ];
    for (name, strategy) in cases {
        let actions = strategy.actions(&bars).expect("valid strategy");
        for threads in [1, cores] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            let mut best = f64::INFINITY;
            for _ in 0..3 {
                let t = Instant::now();
                let out = pool
                    .install(|| run_batch(&bars, &actions, &params, None))
                    .expect("valid inputs");
                best = best.min(t.elapsed().as_secs_f64());
                assert_eq!(out.metrics.len(), sets);
            }
            println!(
                "{name}: {sets} sets × {n} bars, {threads} thread(s): {best:.3} s → {:.3e} bar-evaluations/s ({:.3e} per thread)",
                evals / best,
                evals / best / threads as f64
            );
        }
    }
    println!(
        "SIMD level: {:?}; total bar evaluations this process: {}",
        simd_level(),
        total_bar_evaluations()
    );
}
