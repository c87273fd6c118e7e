//! Quantile forecasts keyed by issue time. Row t was issued at the close of bar t
//! (`issued_at = ts[t] + interval`) from bars `0..=t` and is about bars `t+1 ..= t+h`.
use crate::FeatureError;
use serde::Serialize;
use std::collections::BTreeMap;

/// The three forecast targets for horizon h, issued after bar t: `close` = close[t+h],
/// `high` = max(high[t+1..=t+h]), `low` = min(low[t+1..=t+h]).
pub const TARGETS: [&str; 3] = ["close", "high", "low"];

/// Column name of a quantile forecast: `close_p50_h4`, `high_p90_h24`, `low_p10_h1`.
pub fn column_name(target: &str, q: f64, h: u32) -> String {
    format!("{target}_{}_h{h}", quantile_label(q))
}

/// `p10`, `p50`, `p90`; quantiles that are not whole percents keep one more digit (`p2.5`).
pub fn quantile_label(q: f64) -> String {
    let p = q * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("p{}", p.round() as i64)
    } else {
        format!("p{}", (p * 10.0).round() / 10.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastFrame {
    pub model: String,
    pub horizons: Vec<u32>,
    pub quantiles: Vec<f64>,
    /// ts[t]: open time of the last bar the forecast saw — the join key with bars.
    pub bar_ts: Vec<i64>,
    /// ts[t] + interval: when the forecast became available.
    pub issued_at: Vec<i64>,
    /// `column_name(target, q, h)` -> one value per row; NaN where nothing was issued.
    pub values: BTreeMap<String, Vec<f64>>,
}

impl ForecastFrame {
    /// An all-NaN frame for `bar_ts`, with every (target, quantile, horizon) column.
    pub fn empty(
        model: &str,
        bar_ts: &[i64],
        interval_ms: i64,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> ForecastFrame {
        let mut values = BTreeMap::new();
        for h in horizons {
            for t in TARGETS {
                for q in quantiles {
                    values.insert(column_name(t, *q, *h), vec![f64::NAN; bar_ts.len()]);
                }
            }
        }
        ForecastFrame {
            model: model.to_string(),
            horizons: horizons.to_vec(),
            quantiles: quantiles.to_vec(),
            bar_ts: bar_ts.to_vec(),
            issued_at: bar_ts.iter().map(|t| t + interval_ms).collect(),
            values,
        }
    }

    pub fn n_rows(&self) -> usize {
        self.bar_ts.len()
    }

    pub fn get(&self, target: &str, q: f64, h: u32) -> Option<&[f64]> {
        self.values
            .get(&column_name(target, q, h))
            .map(Vec::as_slice)
    }

    pub fn get_mut(&mut self, target: &str, q: f64, h: u32) -> Option<&mut Vec<f64>> {
        self.values.get_mut(&column_name(target, q, h))
    }

    /// Rows `from..` only (used when a cache already holds the earlier rows).
    pub fn tail(&self, from: usize) -> ForecastFrame {
        let from = from.min(self.n_rows());
        ForecastFrame {
            model: self.model.clone(),
            horizons: self.horizons.clone(),
            quantiles: self.quantiles.clone(),
            bar_ts: self.bar_ts[from..].to_vec(),
            issued_at: self.issued_at[from..].to_vec(),
            values: self
                .values
                .iter()
                .map(|(k, v)| (k.clone(), v[from..].to_vec()))
                .collect(),
        }
    }

    /// Appends `other`'s rows (same model, horizons and quantiles; strictly later bar_ts).
    pub fn append(&mut self, other: &ForecastFrame) -> Result<(), FeatureError> {
        if other.model != self.model
            || other.horizons != self.horizons
            || other.quantiles != self.quantiles
        {
            return Err(FeatureError::Forecast(format!(
                "cannot append {} {:?} {:?} to {} {:?} {:?}",
                other.model,
                other.horizons,
                other.quantiles,
                self.model,
                self.horizons,
                self.quantiles
            )));
        }
        if let (Some(a), Some(b)) = (self.bar_ts.last(), other.bar_ts.first()) {
            if b <= a {
                return Err(FeatureError::Forecast(format!(
                    "appended rows start at {b}, not after the last row {a}"
                )));
            }
        }
        self.bar_ts.extend_from_slice(&other.bar_ts);
        self.issued_at.extend_from_slice(&other.issued_at);
        for (k, v) in self.values.iter_mut() {
            let o = other
                .values
                .get(k)
                .ok_or_else(|| FeatureError::Forecast(format!("appended rows lack column {k}")))?;
            v.extend_from_slice(o);
        }
        Ok(())
    }

    /// Checks the frame's shape: every column has one value per row, rows are sorted.
    pub fn check(&self) -> Result<(), FeatureError> {
        let n = self.n_rows();
        if self.issued_at.len() != n {
            return Err(FeatureError::Forecast(format!(
                "issued_at has {} rows, bar_ts {n}",
                self.issued_at.len()
            )));
        }
        for (k, v) in &self.values {
            if v.len() != n {
                return Err(FeatureError::Forecast(format!(
                    "column {k} has {} rows, bar_ts {n}",
                    v.len()
                )));
            }
        }
        if let Some(i) = (1..n).find(|&i| self.bar_ts[i] <= self.bar_ts[i - 1]) {
            return Err(FeatureError::Forecast(format!(
                "bar_ts not strictly increasing at row {i}"
            )));
        }
        Ok(())
    }
}
