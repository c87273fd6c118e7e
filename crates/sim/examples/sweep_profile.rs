//! Where a strategy-major sweep spends its time: actions vs kernel (1 set per strategy).
//! `cargo run --release -p tradelab-sim --example sweep_profile`
use std::time::Instant;
use tradelab_core::Bars;
use tradelab_sim::{run_batch, simulate, SimParams, Strategy};

fn main() {
    let n = 70_000;
    let mut b = Bars::with_capacity(n);
    let mut x = 100.0_f64;
    for i in 0..n {
        let o = x;
        x *= 1.0 + 0.01 * (((i * 7919) % 1000) as f64 / 1000.0 - 0.5);
        b.ts.push(i as i64 * 3_600_000);
        b.open.push(o);
        b.close.push(x);
        b.high.push(o.max(x) * 1.002);
        b.low.push(o.min(x) * 0.998);
        b.volume.push(1000.0);
    }
    let strategies: Vec<Strategy> = (0..100)
        .map(|k| Strategy::EmaCross {
            fast: 2 + k % 40,
            slow: 50 + 10 * (k / 40),
            slack: 0.5,
        })
        .collect();
    let t = Instant::now();
    let acts: Vec<_> = strategies.iter().map(|s| s.actions(&b).unwrap()).collect();
    println!(
        "actions: {:.3} ms per strategy",
        t.elapsed().as_secs_f64() * 1e3 / 100.0
    );
    let p = [SimParams::default()];
    let t = Instant::now();
    for a in &acts {
        run_batch(&b, a, &p, None).unwrap();
    }
    println!(
        "kernel, 1 set: {:.3} ms per strategy",
        t.elapsed().as_secs_f64() * 1e3 / 100.0
    );
    let t = Instant::now();
    for a in &acts {
        simulate(&b, a, &p[0]).unwrap();
    }
    println!(
        "reference simulate, 1 set: {:.3} ms per strategy",
        t.elapsed().as_secs_f64() * 1e3 / 100.0
    );
    let p8 = vec![SimParams::default(); 8];
    let t = Instant::now();
    for a in &acts {
        run_batch(&b, a, &p8, None).unwrap();
    }
    println!(
        "kernel, 8 sets: {:.3} ms per strategy",
        t.elapsed().as_secs_f64() * 1e3 / 100.0
    );
}
