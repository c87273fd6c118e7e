//! The look-ahead check: row t of every feature is identical (bitwise, NaN == NaN) whether the
//! series ends at t or goes on, and whatever happens after t. Real bars, with gaps cut in.
mod common;
use common::*;
use tradelab_core::Interval;
use tradelab_features::{build_features, FeatureSpec};

#[test]
fn every_feature_is_causal_on_real_bars_with_gaps() {
    let bars = with_gaps(
        &sample_bars("SOL/USDT"),
        &[1000..1004, 2500..2501, 4000..4030],
    );
    let spec = FeatureSpec::default();
    let full = build_features(&bars, Interval::H1, &spec, None).unwrap();
    let rows = probe_rows(&bars, Interval::H1.ms(), 60);
    assert!(rows.len() > 80);
    for &t in &rows {
        let part = build_features(&prefix(&bars, t), Interval::H1, &spec, None).unwrap();
        assert_eq!(part.n_rows(), t + 1);
        for (j, name) in full.names.iter().enumerate() {
            let (a, b) = (full.columns[j][t], part.columns[j][t]);
            assert!(
                same(a, b),
                "feature {name} at row {t} (ts {}): full {a} vs truncated {b}",
                bars.ts[t]
            );
        }
    }
    for &t in rows.iter().step_by(7) {
        let m = build_features(&mutate_after(&bars, t), Interval::H1, &spec, None).unwrap();
        for (j, name) in full.names.iter().enumerate() {
            assert!(
                same(full.columns[j][t], m.columns[j][t]),
                "feature {name} at row {t} changed when later bars changed"
            );
        }
    }
}

#[test]
fn gaps_invalidate_windows_instead_of_bridging_them() {
    let bars = with_gaps(&sample_bars("SOL/USDT"), &[1000..1004, 3000..3001]);
    let f = build_features(&bars, Interval::H1, &FeatureSpec::default(), None).unwrap();
    // Row 1000 is now the first bar after the gap.
    assert_eq!(bars.ts[1000] - bars.ts[999], 5 * Interval::H1.ms());
    for name in [
        "ret_1",
        "logret_1",
        "ret_24",
        "vol_24",
        "ma_delta_24",
        "rsi_14",
        "atr_pct_14",
        "adx_14",
        "ema_delta_24",
        "volume_z_168",
    ] {
        let c = f.column(name).unwrap();
        assert!(c[1000].is_nan(), "{name} bridged the gap");
        assert!(c[999].is_finite(), "{name} should be valid before the gap");
    }
    let r24 = f.column("ret_24").unwrap();
    assert!(r24[1023].is_nan() && r24[1024].is_finite());
    let ma = f.column("ma_delta_168").unwrap();
    assert!(ma[1166].is_nan() && ma[1167].is_finite());
    assert!(f.column("range_pct").unwrap()[1000].is_finite());
    // Valid rows exist and everything is finite where valid.
    assert!(f.first_valid_row().is_some());
    let batch = f.to_record_batch().unwrap();
    assert_eq!(batch.num_columns(), f.n_features() + 1);
    assert!(batch
        .schema()
        .metadata()
        .contains_key(tradelab_features::KV_FEATURE_SCHEMA));
}

#[test]
fn saved_tables_carry_a_schema_that_refuses_other_feature_sets() {
    let bars = sample_bars("LINK/USDT");
    let spec = FeatureSpec::default();
    let f = build_features(&bars, Interval::H1, &spec, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.parquet");
    f.write_parquet(&p).unwrap();
    let stored = tradelab_features::read_feature_schema(&p).unwrap();
    spec.schema().ensure_same(&stored).unwrap();
    let other = FeatureSpec {
        ema_spans: vec![24],
        calendar: false,
        ..FeatureSpec::default()
    }
    .schema();
    let e = other.ensure_same(&stored).unwrap_err().to_string();
    assert!(
        e.contains("ema_delta_168")
            && e.contains("hour_sin")
            && e.contains("spec.calendar: false vs true"),
        "{e}"
    );
    // A normaliser fitted on the first half refuses the other feature set.
    let n = tradelab_features::Normaliser::fit(&f, 200..bars.len() / 2).unwrap();
    let g = build_features(
        &bars,
        Interval::H1,
        &FeatureSpec {
            ema_spans: vec![24],
            ..FeatureSpec::default()
        },
        None,
    )
    .unwrap();
    assert!(n
        .transform_row_major_f32(&g)
        .unwrap_err()
        .to_string()
        .contains("ema_delta_168"));
    assert_eq!(
        n.transform_row_major_f32(&f).unwrap().len(),
        f.n_rows() * f.n_features()
    );
}
