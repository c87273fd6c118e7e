//! Forecasts keyed by issue time are causal: no value issued at t changes when later bars are
//! removed or altered, for every built-in model, column and horizon. Plus the cache contract.
mod common;
use common::*;
use tradelab_core::{Interval, Symbol};
use tradelab_features::forecast::{builtin_names, evaluate, select_transform, EvalWindow};
use tradelab_features::{
    build_features, forecaster_by_name, FeatureSpec, ForecastCache, ForecastFeatureSpec,
};

const H: [u32; 3] = [1, 4, 24];
const Q: [f64; 3] = [0.1, 0.5, 0.9];

#[test]
fn every_forecast_column_of_every_builtin_is_causal() {
    let bars = with_gaps(&sample_bars("ETH/USDT"), &[1500..1502, 3000..3040]);
    let rows = probe_rows(&bars, Interval::H1.ms(), 25);
    for name in builtin_names() {
        let f = forecaster_by_name(&name).unwrap();
        let full = f.forecast(&bars, Interval::H1, &H, &Q).unwrap();
        assert_eq!(full.n_rows(), bars.len());
        assert_eq!(full.issued_at[10], bars.ts[10] + Interval::H1.ms());
        let finite = full
            .values
            .values()
            .map(|v| v.iter().filter(|x| x.is_finite()).count())
            .min()
            .unwrap();
        assert!(
            finite > bars.len() / 2,
            "{name}: too few forecasts ({finite})"
        );
        for &t in &rows {
            let part = f.forecast(&prefix(&bars, t), Interval::H1, &H, &Q).unwrap();
            for (col, v) in &full.values {
                assert!(
                    same(v[t], part.values[col][t]),
                    "{name} {col} at row {t}: full {} vs truncated {}",
                    v[t],
                    part.values[col][t]
                );
            }
        }
        for &t in rows.iter().step_by(9) {
            let m = f
                .forecast(&mutate_after(&bars, t), Interval::H1, &H, &Q)
                .unwrap();
            for (col, v) in &full.values {
                assert!(
                    same(v[t], m.values[col][t]),
                    "{name} {col} at row {t} changed when later bars changed"
                );
            }
        }
    }
}

#[test]
fn forecast_features_are_causal_and_joined_on_issue_time() {
    let bars = with_gaps(&sample_bars("BTC/USDT"), &[2000..2003, 4000..4001]);
    let spec = FeatureSpec {
        forecast: Some(ForecastFeatureSpec {
            model: "ewma-vol".into(),
            horizons: H.to_vec(),
            quantiles: Q.to_vec(),
        }),
        ..FeatureSpec::default()
    };
    let f = forecaster_by_name("ewma-vol").unwrap();
    let fc = f.forecast(&bars, Interval::H1, &H, &Q).unwrap();
    let full = build_features(&bars, Interval::H1, &spec, Some(&fc)).unwrap();
    // Row t holds the forecast issued at the close of bar t.
    let t = 3000;
    let want = fc.get("close", 0.5, 4).unwrap()[t] / bars.close[t] - 1.0;
    assert_eq!(full.column("fc_close_delta_h4").unwrap()[t], want);
    for &t in &probe_rows(&bars, Interval::H1.ms(), 20) {
        let p = prefix(&bars, t);
        let pf = f.forecast(&p, Interval::H1, &H, &Q).unwrap();
        let part = build_features(&p, Interval::H1, &spec, Some(&pf)).unwrap();
        for (j, name) in full.names.iter().enumerate() {
            assert!(
                same(full.columns[j][t], part.columns[j][t]),
                "{name} at row {t}"
            );
        }
    }
    assert!(build_features(&bars, Interval::H1, &spec, None).is_err());
}

#[test]
fn quantiles_are_ordered_and_roughly_calibrated() {
    let bars = sample_bars("SOL/USDT");
    for name in ["naive", "ewma-vol", "seasonal-naive"] {
        let f = forecaster_by_name(name).unwrap();
        let fc = f.forecast(&bars, Interval::H1, &H, &Q).unwrap();
        for h in H {
            for target in ["close", "high", "low"] {
                let (a, b, c) = (
                    fc.get(target, 0.1, h).unwrap(),
                    fc.get(target, 0.5, h).unwrap(),
                    fc.get(target, 0.9, h).unwrap(),
                );
                assert!(
                    (0..bars.len()).all(|t| !a[t].is_finite() || (a[t] <= b[t] && b[t] <= c[t])),
                    "{name} {target} h{h} not ordered"
                );
            }
        }
        let ev = evaluate(
            &bars,
            Interval::H1,
            &fc,
            EvalWindow::last_fraction(bars.len(), 0.5),
        )
        .unwrap();
        for r in &ev {
            assert!(r.rows > 1000);
            assert!(
                r.coverage > 0.6 && r.coverage < 0.95,
                "{name} h{} coverage {}",
                r.horizon,
                r.coverage
            );
            assert!(r.mae_pct > 0.0 && r.mae_pct < 10.0);
        }
        assert!(ev[0].mae_pct < ev[2].mae_pct);
    }
    let w = EvalWindow::last_fraction(bars.len(), 0.2);
    let choice =
        select_transform(&bars, Interval::H1, &H, &Q, w.preceding(w.len()).unwrap()).unwrap();
    assert_eq!(choice.candidates.len(), 6);
}

#[test]
fn cache_reuses_rows_computes_only_new_bars_and_rebuilds_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let cache = ForecastCache::new(dir.path());
    let sym = Symbol::parse("LINK/USDT").unwrap();
    let all = sample_bars("LINK/USDT");
    let early = prefix(&all, all.len() - 101);
    let f = forecaster_by_name("naive").unwrap();
    let (a, r) = cache
        .load_or_build(&sym, Interval::H1, &early, f.as_ref(), &H, &Q)
        .unwrap();
    assert!(r
        .iter()
        .all(|r| r.rebuilt.is_some() && r.computed_rows == early.len()));
    let (_, r) = cache
        .load_or_build(&sym, Interval::H1, &early, f.as_ref(), &H, &Q)
        .unwrap();
    assert!(r
        .iter()
        .all(|r| r.rebuilt.is_none() && r.computed_rows == 0 && r.reused_rows == early.len()));
    let (b, r) = cache
        .load_or_build(&sym, Interval::H1, &all, f.as_ref(), &H, &Q)
        .unwrap();
    assert!(r
        .iter()
        .all(|r| r.rebuilt.is_none() && r.computed_rows == 100 && r.rows == all.len()));
    // The appended file equals a from-scratch computation.
    let fresh = f.forecast(&all, Interval::H1, &H, &Q).unwrap();
    for (k, v) in &fresh.values {
        assert!(v.iter().zip(&b.values[k]).all(|(x, y)| same(*x, *y)), "{k}");
        assert!(a.values[k].iter().zip(v).all(|(x, y)| same(*x, *y)));
    }
    assert!(r[0]
        .path
        .ends_with("LINK_USDT/1h/forecasts/naive_h1.parquet"));
    let mut changed = all.clone();
    changed.close[10] *= 1.01;
    let (_, r) = cache
        .load_or_build(&sym, Interval::H1, &changed, f.as_ref(), &H, &Q)
        .unwrap();
    assert!(r.iter().all(
        |r| r.rebuilt.as_deref() == Some("bars the forecasts were computed from have changed")
    ));
}

#[test]
fn cache_written_with_other_params_or_other_code_is_recomputed_not_reused() {
    // Issue #13 item 6: the file name holds the model name only ("ewma-vol"), which leaves out
    // the residual window and warm-up; a cache built with other parameters must not be reused.
    use tradelab_features::forecast::cache::{code_version, read_frame};
    use tradelab_features::forecast::empirical::ResidualWindow;
    use tradelab_features::{EwmaVolForecaster, Forecaster};
    let dir = tempfile::tempdir().unwrap();
    let cache = ForecastCache::new(dir.path());
    let sym = Symbol::parse("SOL/USDT").unwrap();
    let bars = sample_bars("SOL/USDT");
    let a = EwmaVolForecaster::default();
    let b = EwmaVolForecaster {
        residuals: ResidualWindow {
            window: 240,
            min_residuals: 100,
        },
        ..Default::default()
    };
    assert_eq!(
        a.name(),
        b.name(),
        "same name, same cache file: the params hash is what tells them apart"
    );
    cache
        .load_or_build(&sym, Interval::H1, &bars, &a, &[1], &Q)
        .unwrap();
    let (got, r) = cache
        .load_or_build(&sym, Interval::H1, &bars, &b, &[1], &Q)
        .unwrap();
    let why = r[0].rebuilt.as_deref().unwrap_or("reused");
    assert!(
        why.starts_with("cache stale: params changed")
            && why.contains("residual_window=720")
            && why.contains("residual_window=240"),
        "{why}"
    );
    assert_eq!(r[0].computed_rows, bars.len());
    let fresh = b.forecast(&bars, Interval::H1, &[1], &Q).unwrap();
    for (k, v) in &fresh.values {
        assert!(
            v.iter().zip(&got.values[k]).all(|(x, y)| same(*x, *y)),
            "{k}: the stale rows were served"
        );
    }
    let warm = EwmaVolForecaster { warmup: 48, ..b };
    let (_, r) = cache
        .load_or_build(&sym, Interval::H1, &bars, &warm, &[1], &Q)
        .unwrap();
    assert!(
        r[0].rebuilt
            .as_deref()
            .is_some_and(|w| w.starts_with("cache stale: params changed")),
        "{:?}",
        r[0].rebuilt
    );
    let (_, r) = cache
        .load_or_build(&sym, Interval::H1, &bars, &warm, &[1], &Q)
        .unwrap();
    assert_eq!(
        (r[0].rebuilt.as_deref(), r[0].computed_rows),
        (None, 0),
        "same params and code: reused"
    );
    let path = std::path::PathBuf::from(&r[0].path);
    assert_eq!(
        read_frame(&path).unwrap().1["tradelab.forecast.code_version"],
        code_version()
    );

    // A file written by other code (here: the footer of a previous release, without a code
    // version, and one with another version) is recomputed.
    for (old, reason) in [
        (
            None,
            "cache stale: written by older code (no code version recorded)",
        ),
        (
            Some("tradelab-features 0.0.9 forecasts/0"),
            "cache stale: code version changed (tradelab-features 0.0.9 forecasts/0 -> ",
        ),
    ] {
        let (schema, batches, mut kv) = tradelab_data::parquet_io::read_batches(&path).unwrap();
        match old {
            None => kv.remove("tradelab.forecast.code_version"),
            Some(v) => kv.insert("tradelab.forecast.code_version".into(), v.to_string()),
        };
        let batch = arrow::compute::concat_batches(&schema, &batches).unwrap();
        tradelab_data::parquet_io::write_batch_atomic(&path, &batch, &kv).unwrap();
        let (_, r) = cache
            .load_or_build(&sym, Interval::H1, &bars, &warm, &[1], &Q)
            .unwrap();
        let why = r[0].rebuilt.as_deref().unwrap_or("reused");
        assert!(why.starts_with(reason), "{why}");
        assert_eq!(r[0].computed_rows, bars.len());
    }
}

#[test]
fn concurrent_cache_builds_compute_once_and_leave_a_valid_file() {
    // Issue #11: the cache's read-reuse-write is locked per forecasts directory, so 8 builders at
    // once compute the rows once; the others reuse them, and no temp file is left.
    let dir = tempfile::tempdir().unwrap();
    let sym = Symbol::parse("LINK/USDT").unwrap();
    let all = std::sync::Arc::new(sample_bars("LINK/USDT"));
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (root, sym, all, barrier) = (
                dir.path().to_path_buf(),
                sym.clone(),
                all.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let f = forecaster_by_name("naive").unwrap();
                barrier.wait();
                let (_, r) = ForecastCache::new(&root)
                    .load_or_build(&sym, Interval::H1, &all, f.as_ref(), &H, &Q)
                    .unwrap();
                r.iter().filter(|r| r.rebuilt.is_some()).count()
            })
        })
        .collect();
    let rebuilt: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(
        rebuilt,
        H.len(),
        "each horizon's file is built exactly once"
    );
    let f = forecaster_by_name("naive").unwrap();
    let (_, r) = ForecastCache::new(dir.path())
        .load_or_build(&sym, Interval::H1, &all, f.as_ref(), &H, &Q)
        .unwrap();
    assert!(r
        .iter()
        .all(|r| r.computed_rows == 0 && r.reused_rows == all.len()));
    let fdir = dir.path().join("LINK_USDT/1h/forecasts");
    assert!(std::fs::read_dir(&fdir)
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().contains(".tmp-")));
}
