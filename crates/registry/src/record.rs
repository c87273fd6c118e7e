//! What the registry hands back: stored runs, list filters, and metric comparisons.
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub first: i64,
    pub last: i64,
}

/// One stored run (JSON field names are camelCase, as the TS layer sees them).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub kind: String,
    pub created_at: i64,
    pub symbols: Vec<String>,
    pub interval: Option<String>,
    pub split: Option<String>,
    pub window: Option<Window>,
    pub assumptions: Option<Value>,
    pub config: Value,
    pub data_hash: Option<String>,
    pub code_version: Option<String>,
    pub metrics: Value,
    pub artifacts: Value,
    pub notes: Option<String>,
    pub parent: Option<String>,
}

/// List filters; all optional. Newest runs first.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunFilter {
    pub kind: Option<String>,
    /// Runs whose `symbols` include this one.
    pub symbol: Option<String>,
    pub limit: Option<u32>,
}

/// One metric across the compared runs (`None` where a run lacks it or it is not a number).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricRow {
    pub metric: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub runs: Vec<RunRecord>,
    /// Numeric top-level metrics, in order of first appearance.
    pub metrics: Vec<MetricRow>,
}

impl Comparison {
    pub fn of(runs: Vec<RunRecord>) -> Self {
        let mut names: Vec<String> = Vec::new();
        for r in &runs {
            if let Some(m) = r.metrics.as_object() {
                for (k, v) in m {
                    if v.is_number() && !names.contains(k) {
                        names.push(k.clone());
                    }
                }
            }
        }
        let metrics = names
            .into_iter()
            .map(|metric| {
                let values = runs.iter().map(|r| r.metrics.get(&metric).and_then(Value::as_f64)).collect();
                MetricRow { metric, values }
            })
            .collect();
        Comparison { runs, metrics }
    }
}
