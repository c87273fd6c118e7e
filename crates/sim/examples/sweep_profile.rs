//! Where a strategy-major sweep spends its time: actions vs kernel (1 set per strategy).
//! `cargo run --release -p tradelab-sim --example sweep_profile`
use std::time::Instant;
use tradelab_core::Bars;
use tradelab_sim::{run_batch, run_sweep, simulate, SimParams, Strategy, SweepSpec};

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
    let spec = SweepSpec::from_json(
        r#"{"strategy": {"kind": "emaCross", "fast": 2, "slow": 50, "slack": 0.5},
            "grid": {"fast": [2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41],
                     "slow": [50,60,70,80,90,100,110,120,130,140,150,160,170,180,190,200,210,220,230,240,250,260,270,280,290]}}"#,
    )
    .unwrap();
    let (strats, _) = spec.strategies().unwrap();
    let t = Instant::now();
    let cache = tradelab_sim::strategies::MaCache::for_strategies(&strats, &b.close);
    println!("MaCache: {:.3} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    for s in &strats {
        let a = s.actions_cached(&b, &cache).unwrap();
        std::hint::black_box(tradelab_sim::PreparedActions::new(&a));
    }
    println!(
        "1000 x actions_cached + prepare (1 thread): {:.3} s",
        t.elapsed().as_secs_f64()
    );
    for _ in 0..2 {
        let t = Instant::now();
        let r = run_sweep(&b, &spec, None).unwrap();
        println!(
            "run_sweep 1000-pair EMA grid: {} rows in {:.3} s",
            r.rows.len(),
            t.elapsed().as_secs_f64()
        );
    }
}
