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
    /// What the numbers depend on beyond config, seed and data (None: recorded before it was).
    pub environment: Option<Value>,
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

/// One environment field across the compared runs, where they differ (`None` where a run has
/// no such field or no environment at all).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentRow {
    /// Dotted path, e.g. `simd`, `libtorch.version`, `envVars.MKL_CBWR`.
    pub field: String,
    pub values: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    pub runs: Vec<RunRecord>,
    /// Numeric top-level metrics, in order of first appearance.
    pub metrics: Vec<MetricRow>,
    /// Environment fields that differ between the runs that recorded one.
    pub environment: Vec<EnvironmentRow>,
    /// Every run recorded an environment and they are all the same.
    pub same_environment: bool,
}

/// `(a.b path, scalar value as text)` of an environment's leaves, in document order.
type Leaves = Vec<(String, Option<String>)>;

/// The leaves of an environment object.
fn flatten(prefix: &str, v: &Value, out: &mut Leaves) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&p, x, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), None)),
        Value::String(s) => out.push((prefix.to_string(), Some(s.clone()))),
        other => out.push((prefix.to_string(), Some(other.to_string()))),
    }
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
                let values = runs
                    .iter()
                    .map(|r| r.metrics.get(&metric).and_then(Value::as_f64))
                    .collect();
                MetricRow { metric, values }
            })
            .collect();
        let (environment, same_environment) = environment_rows(&runs);
        Comparison {
            runs,
            metrics,
            environment,
            same_environment,
        }
    }
}

/// The environment fields whose values differ among the runs that recorded an environment.
fn environment_rows(runs: &[RunRecord]) -> (Vec<EnvironmentRow>, bool) {
    let flat: Vec<Option<Leaves>> = runs
        .iter()
        .map(|r| {
            r.environment.as_ref().map(|e| {
                let mut out = Vec::new();
                flatten("", e, &mut out);
                out
            })
        })
        .collect();
    let mut fields: Vec<String> = Vec::new();
    for (k, _) in flat.iter().flatten().flatten() {
        if !fields.contains(k) {
            fields.push(k.clone());
        }
    }
    let rows: Vec<EnvironmentRow> = fields
        .into_iter()
        .filter_map(|field| {
            let values: Vec<Option<String>> = flat
                .iter()
                .map(|f| {
                    f.as_ref().and_then(|f| {
                        f.iter()
                            .find(|(k, _)| *k == field)
                            .and_then(|(_, v)| v.clone())
                    })
                })
                .collect();
            let recorded: Vec<&Option<String>> = values
                .iter()
                .zip(&flat)
                .filter(|(_, f)| f.is_some())
                .map(|(v, _)| v)
                .collect();
            let differs = recorded.windows(2).any(|w| w[0] != w[1]);
            differs.then_some(EnvironmentRow { field, values })
        })
        .collect();
    let same = !runs.is_empty() && flat.iter().all(Option::is_some) && rows.is_empty();
    (rows, same)
}
