//! What the CLI and the library ask of this crate, answered from a store: a feature table over a
//! window, a forecast cache refresh, and a forecast evaluation (with the `auto` transform
//! selection policy). The Node binding only converts these requests and reports.
use crate::forecast::{evaluate, select_transform, CacheReport, EvalRow, EvalWindow};
use crate::{
    build_features, forecaster_by_name, FeatureError, FeatureFrame, FeatureSchema, FeatureSpec,
    ForecastCache, Forecaster, NaiveForecaster,
};
use serde::Serialize;
use std::path::Path;
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_data::Store;

/// A dataset in a store.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub store: String,
    pub symbol: Symbol,
    pub interval: Interval,
}

impl Dataset {
    /// The stored bars; none is an error naming the dataset.
    pub fn bars(&self) -> Result<Bars, FeatureError> {
        let bars = Store::open(&self.store).read(&self.symbol, self.interval)?;
        if bars.is_empty() {
            return Err(FeatureError::InvalidBars(format!(
                "no {} {} bars in {}",
                self.symbol, self.interval, self.store
            )));
        }
        Ok(bars)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeaturesReport {
    pub symbol: String,
    pub interval: String,
    pub schema: FeatureSchema,
    pub rows: usize,
    pub valid_rows: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub forecast_cache: Option<Vec<CacheReport>>,
    pub out: Option<String>,
}

/// Features of the rows whose bar opens in `[from, to)`, computed on all stored bars first so a
/// window never changes the values inside it; `out` also writes the table as Parquet (atomic).
pub fn features_table(
    d: &Dataset,
    spec: &FeatureSpec,
    from: Option<i64>,
    to: Option<i64>,
    out: Option<&str>,
) -> Result<(FeaturesReport, FeatureFrame), FeatureError> {
    let bars = d.bars()?;
    let mut forecast_cache = None;
    let forecasts = match &spec.forecast {
        Some(fs) => {
            let f = forecaster_by_name(&fs.model)?;
            let (frame, reports) = ForecastCache::new(&d.store).load_or_build(
                &d.symbol,
                d.interval,
                &bars,
                f.as_ref(),
                &fs.horizons,
                &fs.quantiles,
            )?;
            forecast_cache = Some(reports);
            Some(frame)
        }
        None => None,
    };
    let full = build_features(&bars, d.interval, spec, forecasts.as_ref())?;
    let w = EvalWindow::from_times(&bars.ts, from, to);
    let (lo, hi) = (w.from_row, w.to_row);
    let frame = FeatureFrame {
        ts: full.ts[lo..hi].to_vec(),
        names: full.names.clone(),
        columns: full.columns.iter().map(|c| c[lo..hi].to_vec()).collect(),
        schema: full.schema.clone(),
    };
    if let Some(out) = out {
        frame.write_parquet(Path::new(out))?;
    }
    let report = FeaturesReport {
        symbol: d.symbol.to_string(),
        interval: d.interval.name().to_string(),
        schema: frame.schema.clone(),
        rows: frame.n_rows(),
        valid_rows: (0..frame.n_rows()).filter(|&t| frame.row_valid(t)).count(),
        first: frame.ts.first().copied(),
        last: frame.ts.last().copied(),
        forecast_cache,
        out: out.map(str::to_string),
    };
    Ok((report, frame))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastBuildReport {
    pub symbol: String,
    pub interval: String,
    pub model: String,
    pub bars: usize,
    pub first: i64,
    pub last: i64,
    pub seconds: f64,
    pub files: Vec<CacheReport>,
}

/// Builds or refreshes the forecast cache (reuses stored rows, computes new bars only).
pub fn forecast_build(
    d: &Dataset,
    model: &str,
    horizons: &[u32],
    quantiles: &[f64],
) -> Result<ForecastBuildReport, FeatureError> {
    let bars = d.bars()?;
    let f = forecaster_by_name(model)?;
    let started = std::time::Instant::now();
    let (_, files) = ForecastCache::new(&d.store).load_or_build(
        &d.symbol,
        d.interval,
        &bars,
        f.as_ref(),
        horizons,
        quantiles,
    )?;
    Ok(ForecastBuildReport {
        symbol: d.symbol.to_string(),
        interval: d.interval.name().to_string(),
        model: f.name(),
        bars: bars.len(),
        first: bars.ts[0],
        last: bars.ts[bars.len() - 1],
        seconds: started.elapsed().as_secs_f64(),
        files,
    })
}

/// Which rows a forecast evaluation scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EvalRange {
    /// Bars opening in `[from, to)`.
    Times { from: Option<i64>, to: Option<i64> },
    /// The last fraction of the stored bars.
    LastFraction(f64),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowInfo {
    pub first: i64,
    pub last: i64,
    pub rows: usize,
    /// `custom` or `last 20%`.
    pub rule: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CandidateMae {
    pub transform: String,
    pub mae_pct: f64,
}

/// What `auto` chose, and on which rows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformSelection {
    pub transform: String,
    pub validation: WindowInfo,
    pub candidates: Vec<CandidateMae>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastEvalReport {
    pub symbol: String,
    pub interval: String,
    pub model: String,
    pub window: WindowInfo,
    pub transform_selection: Option<TransformSelection>,
    pub horizons: Vec<EvalRow>,
    pub cache: Vec<CacheReport>,
}

/// MAE% of the close median and quantile coverage per horizon on a stated window. `model` is a
/// built-in name or `auto`: the naive forecaster with the transform of lowest MAE% on the
/// validation rows, which are the window of the same length right before the evaluated rows
/// (targets realised before the evaluation starts), never the evaluated rows themselves.
pub fn forecast_eval(
    d: &Dataset,
    model: &str,
    horizons: &[u32],
    quantiles: &[f64],
    range: EvalRange,
) -> Result<ForecastEvalReport, FeatureError> {
    let bars = d.bars()?;
    let (window, rule) = match range {
        EvalRange::Times { from, to } => (
            EvalWindow::from_times(&bars.ts, from, to),
            "custom".to_string(),
        ),
        EvalRange::LastFraction(f) => (
            EvalWindow::last_fraction(bars.len(), f),
            format!("last {}%", (f * 100.0).round()),
        ),
    };
    if window.is_empty() {
        return Err(FeatureError::Forecast(
            "the evaluation window holds no bars".into(),
        ));
    }
    let info = |w: EvalWindow, rule: String| WindowInfo {
        first: bars.ts[w.from_row],
        last: bars.ts[w.to_row - 1],
        rows: w.len(),
        rule,
    };
    let mut transform_selection = None;
    let forecaster: Box<dyn Forecaster> = if model == "auto" {
        let val = window
            .preceding(window.len().min(window.from_row))
            .ok_or_else(|| {
                FeatureError::Forecast(
                    "no bars before the evaluation window to select a transform on".into(),
                )
            })?;
        let c = select_transform(&bars, d.interval, horizons, quantiles, val)?;
        transform_selection = Some(TransformSelection {
            transform: c.transform.name().to_string(),
            validation: info(val, "the rows right before the window".into()),
            candidates: c
                .candidates
                .iter()
                .map(|(t, m)| CandidateMae {
                    transform: t.name().to_string(),
                    mae_pct: *m,
                })
                .collect(),
        });
        Box::new(NaiveForecaster {
            transform: c.transform,
            ..Default::default()
        })
    } else {
        forecaster_by_name(model)?
    };
    let (frame, cache) = ForecastCache::new(&d.store).load_or_build(
        &d.symbol,
        d.interval,
        &bars,
        forecaster.as_ref(),
        horizons,
        quantiles,
    )?;
    let rows = evaluate(&bars, d.interval, &frame, window)?;
    Ok(ForecastEvalReport {
        symbol: d.symbol.to_string(),
        interval: d.interval.name().to_string(),
        model: forecaster.name(),
        window: info(window, rule),
        transform_selection,
        horizons: rows,
        cache,
    })
}
