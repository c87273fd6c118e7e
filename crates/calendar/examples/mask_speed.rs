//! Times `session_mask` over 70 000 hourly bars (2018-01-01 onward), as the simulator would call
//! it once per instrument. `cargo run -p tradelab-calendar --release --example mask_speed`
use std::time::Instant;
use tradelab_calendar::Calendar;

fn main() {
    const H: i64 = 3_600_000;
    let ts: Vec<i64> = (0..70_000).map(|i| 1_514_764_800_000 + i * H).collect();
    let cal = Calendar::NYSE;
    let warm = Instant::now();
    let _ = cal.is_open(ts[0], H); // builds the day cache once
    let warm = warm.elapsed();
    let mut best = f64::MAX;
    let mut open = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let mask = cal.session_mask(&ts, H);
        best = best.min(t.elapsed().as_secs_f64());
        open = mask.iter().filter(|m| **m).count();
    }
    let t = Instant::now();
    let p = cal.periods_per_year(H);
    let tp = t.elapsed();
    println!(
        "day cache built in {:.1} ms; session_mask over {} bars: {:.3} ms (best of 20), {open} in session; periods_per_year(1h) = {p} in {:.3} ms",
        warm.as_secs_f64() * 1e3,
        ts.len(),
        best * 1e3,
        tp.as_secs_f64() * 1e3
    );
}
