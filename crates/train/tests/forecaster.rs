//! The neural quantile forecaster on real bars: trains, reloads as a `Forecaster`, gives ordered
//! quantiles, is causal, refuses horizons it was not trained for, and feeds the policy's band
//! only when it was trained before the policy's validation split.
use std::path::Path;
use tch::Device;
use tradelab_core::{Interval, Symbol};
use tradelab_features::forecast::Forecaster;
use tradelab_train::config::TrainConfig;
use tradelab_train::data::{Dataset, Normalisers};
use tradelab_train::events::Collect;
use tradelab_train::forecaster::{train_forecaster, NeuralForecaster};

fn store() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/store")
}

fn cfg(val_days: u32) -> TrainConfig {
    TrainConfig::from_json(&format!(
        r#"{{"symbols":["SOL/USDT"],"splits":{{"valDays":{val_days},"testDays":10}},
            "forecaster":{{"horizons":[1,4],"quantiles":[0.1,0.5,0.9],"dModel":8,"layers":2,"seqLen":24,
                          "epochs":2,"stepsPerEpoch":15,"batchSize":16}},"threads":1}}"#
    ))
    .unwrap()
}

#[test]
fn trains_reloads_and_forecasts_causally() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fc");
    let mut ev = Collect::default();
    train_forecaster(&cfg(20), &store(), &out, Device::Cpu, &mut ev).unwrap();
    let epochs: Vec<_> = ev.0.iter().filter(|e| e["event"] == "epoch").collect();
    assert_eq!(epochs.len(), 2);
    assert!(epochs[1]["valPinball"].as_f64().unwrap().is_finite());
    let cov = epochs[1]["valCoverage"]["close_h1"].as_f64().unwrap();
    assert!((0.3..=1.0).contains(&cov), "p10-p90 coverage {cov}");

    let f = NeuralForecaster::load(&out).unwrap();
    let bars = tradelab_data::Store::open(store())
        .read(&Symbol::parse("SOL/USDT").unwrap(), Interval::H1)
        .unwrap();
    let fr = f
        .forecast(&bars, Interval::H1, &[1, 4], &[0.1, 0.5, 0.9])
        .unwrap();
    fr.check().unwrap();
    let (p10, p50, p90) = (
        fr.get("high", 0.1, 4).unwrap(),
        fr.get("high", 0.5, 4).unwrap(),
        fr.get("high", 0.9, 4).unwrap(),
    );
    let valid: Vec<usize> = (0..bars.len()).filter(|&t| p50[t].is_finite()).collect();
    assert!(valid.len() > bars.len() / 2);
    for &t in &valid {
        assert!(p10[t] <= p50[t] && p50[t] <= p90[t], "row {t}");
    }
    // Causal: rows <= t unchanged when every later bar moves.
    let t = 4000;
    let mut c = bars.clone();
    for i in t + 1..c.len() {
        c.open[i] *= 1.07;
        c.close[i] *= 1.05;
        c.high[i] *= 1.09;
        c.low[i] *= 1.0;
    }
    let fr2 = f
        .forecast(&c, Interval::H1, &[1, 4], &[0.1, 0.5, 0.9])
        .unwrap();
    for (k, col) in &fr.values {
        let col2 = &fr2.values[k];
        for r in 0..=t {
            assert_eq!(col[r].to_bits(), col2[r].to_bits(), "{k} row {r}");
        }
    }
    let e = f.forecast(&bars, Interval::H1, &[24], &[0.5]).unwrap_err();
    assert!(e.to_string().contains("no horizon 24"), "{e}");

    // As the policy's band: fine when the policy validates after the forecaster's own validation
    // window (which chose its epoch); refused with the same splits (the forecaster saw the
    // policy's validation bars while selecting) and when the policy validates earlier.
    let band = |val_days: f64, test_days: f64| {
        let mut p = cfg(20);
        p.splits.val_days = val_days;
        p.splits.test_days = test_days;
        p.decode.band = serde_json::from_value(
            serde_json::json!({"kind":"forecast","checkpoint": out.to_str().unwrap(),"horizon":1}),
        )
        .unwrap();
        p.model.seq_len = 24;
        Dataset::load(&p, &store(), None, Normalisers::FitOnTrain)
    };
    let ds = band(5.0, 5.0).unwrap();
    assert!(
        ds.symbols[0]
            .band_lo
            .iter()
            .filter(|v| v.is_finite())
            .count()
            > 1000
    );
    for (v, t) in [(20.0, 10.0), (40.0, 10.0)] {
        let e = band(v, t).unwrap_err();
        assert!(
            e.to_string().contains("decode.band.checkpoint")
                && e.to_string().contains("validation end"),
            "{e}"
        );
    }
}
