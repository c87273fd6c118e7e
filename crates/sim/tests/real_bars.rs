//! Kernel vs reference on real hourly bars (SOLUSDT from the shared data folder).
use std::path::PathBuf;
use tradelab_core::{time::parse_timestamp, Bars};
use tradelab_sim::{run_batch, simulate, FillRule, SimParams, Strategy};

fn csv_path() -> PathBuf {
    std::env::var_os("TRADELAB_SOLUSDT_CSV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/kernc_backtesting_py/SOLUSDT.csv")
        })
}

/// Minimal reader for `timestamp,Open,High,Low,Close,Volume` with ISO timestamps.
fn read_bars(text: &str) -> Bars {
    let mut b = Bars::default();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 6, "line {}: {line}", n + 1);
        b.ts.push(parse_timestamp(f[0]).expect("timestamp"));
        let num = |s: &str| s.trim().parse::<f64>().expect("number");
        b.open.push(num(f[1]));
        b.high.push(num(f[2]));
        b.low.push(num(f[3]));
        b.close.push(num(f[4]));
        b.volume.push(num(f[5]));
    }
    b
}

#[test]
fn kernel_matches_reference_on_solusdt() {
    let path = csv_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        // Under CI the real data must be there: a missing file fails instead of passing silently.
        let ci = std::env::var("CI").map(|v| v == "true").unwrap_or(false);
        assert!(
            !ci,
            "CI=true and {} is missing (set TRADELAB_SOLUSDT_CSV)",
            path.display()
        );
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    let bars = read_bars(&text);
    assert!(bars.len() > 500);
    let mut params = Vec::new();
    for lag in [0, 1, 2] {
        for fill_rule in [FillRule::Touch, FillRule::Cross { buffer: 0.0005 }] {
            for (vf, hold, rt) in [(None, None, 0), (Some(0.001), Some(12), 0), (None, None, 3)] {
                for (intensity, offset) in [(0.5, 0.0002), (1.0, 0.0)] {
                    params.push(SimParams {
                        decision_lag: lag,
                        fill_rule,
                        max_volume_fraction: vf,
                        max_hold_bars: hold,
                        max_round_trips_per_bar: rt,
                        intensity,
                        price_offset_pct: offset,
                        // Only with the extra features, so plain sets run the FAST profile.
                        min_gap_pct: vf.map(|_| 0.0003),
                        last_window_days: Some(2.0),
                        ..SimParams::default()
                    });
                }
            }
        }
    }
    let strategies = [
        Strategy::EmaCross {
            fast: 12,
            slow: 48,
            slack: 0.003,
        },
        Strategy::SmaCross {
            fast: 5,
            slow: 20,
            slack: 0.0,
        },
        Strategy::Band {
            buy_offset: 0.004,
            sell_offset: 0.004,
            buy_frac: 0.5,
            sell_frac: 1.0,
        },
    ];
    let mut traded = 0;
    for s in &strategies {
        let actions = s.actions(&bars).unwrap();
        let out = run_batch(&bars, &actions, &params, None).unwrap();
        for (p, m) in params.iter().zip(&out.metrics) {
            let r = simulate(&bars, &actions, p).unwrap();
            assert_eq!(&r.metrics, m, "{} / {}", s.label(), p.describe());
            traded += r.metrics.trade_count;
        }
    }
    assert!(
        traded > 1000,
        "strategies should trade on real data ({traded} fills)"
    );
}
