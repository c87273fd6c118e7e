//! What a caller records, validated field by field so every error names the field at fault.
use crate::error::RegistryError;
use serde_json::{Map, Value};

/// The kinds of run the registry accepts.
pub const RUN_KINDS: [&str; 11] = [
    "backtest",
    "sweep",
    "walk-forward",
    "train",
    "eval",
    "demo",
    "forecast",
    "study",
    "trial",
    "paper",
    "live",
];

const FIELDS: [&str; 15] = [
    "kind",
    "symbols",
    "interval",
    "split",
    "window",
    "assumptions",
    "config",
    "dataHash",
    "codeVersion",
    "environment",
    "metrics",
    "artifacts",
    "notes",
    "parent",
    "createdAt",
];

/// One run to record. JSON objects are kept as values; they are stored as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInput {
    pub kind: String,
    pub symbols: Vec<String>,
    pub interval: Option<String>,
    pub split: Option<String>,
    /// Evaluation window, first and last bar open time (epoch ms).
    pub window: Option<(i64, i64)>,
    pub assumptions: Option<Value>,
    pub config: Value,
    pub data_hash: Option<String>,
    pub code_version: Option<String>,
    /// What the numbers depend on beyond config, seed and data (`tradelab_sim::Environment` as
    /// JSON: CPU, SIMD level, threads, libtorch, device, deterministic mode).
    pub environment: Option<Value>,
    pub metrics: Value,
    /// Artefact name -> path.
    pub artifacts: Value,
    pub notes: Option<String>,
    pub parent: Option<String>,
    /// Epoch ms; now when absent.
    pub created_at: Option<i64>,
}

fn opt_string(m: &Map<String, Value>, field: &str) -> Result<Option<String>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(RegistryError::field(
            field,
            format!("expected a string, got {}", type_name(v)),
        )),
    }
}

fn integer(v: &Value, field: &str) -> Result<i64, RegistryError> {
    v.as_i64()
        .or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| {
            RegistryError::field(
                field,
                format!("expected a whole number (epoch ms), got {v}"),
            )
        })
}

fn opt_object(m: &Map<String, Value>, field: &str) -> Result<Option<Value>, RegistryError> {
    match m.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
        Some(v) => Err(RegistryError::field(
            field,
            format!("expected a JSON object, got {}", type_name(v)),
        )),
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl RunInput {
    /// Parses and validates a run given as JSON text (the binding's and the CLI's form).
    pub fn from_json(text: &str) -> Result<Self, RegistryError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| RegistryError::BadInput(format!("not valid JSON: {e}")))?;
        Self::from_value(&v)
    }

    pub fn from_value(v: &Value) -> Result<Self, RegistryError> {
        let m = v.as_object().ok_or_else(|| {
            RegistryError::BadInput(format!("expected a JSON object, got {}", type_name(v)))
        })?;
        if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(RegistryError::field(
                k.as_str(),
                format!("unknown field (expected one of {})", FIELDS.join(", ")),
            ));
        }
        let kind = opt_string(m, "kind")?.ok_or_else(|| RegistryError::field("kind", "missing"))?;
        if !RUN_KINDS.contains(&kind.as_str()) {
            return Err(RegistryError::field(
                "kind",
                format!("'{kind}' is not one of {}", RUN_KINDS.join(", ")),
            ));
        }
        let symbols = match m.get("symbols") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, s)| match s.as_str() {
                    Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
                    _ => Err(RegistryError::field(
                        format!("symbols[{i}]"),
                        format!("expected a non-empty string, got {s}"),
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(RegistryError::field(
                    "symbols",
                    format!("expected an array of strings, got {}", type_name(v)),
                ))
            }
        };
        let window = match m.get("window") {
            None | Some(Value::Null) => None,
            Some(Value::Object(w)) => {
                let first = integer(w.get("first").unwrap_or(&Value::Null), "window.first")?;
                let last = integer(w.get("last").unwrap_or(&Value::Null), "window.last")?;
                if first > last {
                    return Err(RegistryError::field(
                        "window",
                        format!("first {first} is after last {last}"),
                    ));
                }
                Some((first, last))
            }
            Some(v) => {
                return Err(RegistryError::field(
                    "window",
                    format!("expected {{ first, last }}, got {}", type_name(v)),
                ))
            }
        };
        let config = match m.get("config") {
            None => {
                return Err(RegistryError::field(
                    "config",
                    "missing (record the flags / parameters the run used)",
                ))
            }
            Some(v) => v.clone(),
        };
        let metrics = opt_object(m, "metrics")?.unwrap_or_else(|| Value::Object(Map::new()));
        let artifacts = opt_object(m, "artifacts")?.unwrap_or_else(|| Value::Object(Map::new()));
        if let Some(a) = artifacts.as_object() {
            if let Some((k, v)) = a.iter().find(|(_, v)| !v.is_string()) {
                return Err(RegistryError::field(
                    format!("artifacts.{k}"),
                    format!("expected a path string, got {}", type_name(v)),
                ));
            }
        }
        let created_at = match m.get("createdAt") {
            None | Some(Value::Null) => None,
            Some(v) => Some(integer(v, "createdAt")?),
        };
        Ok(RunInput {
            kind,
            symbols,
            interval: opt_string(m, "interval")?,
            split: opt_string(m, "split")?,
            window,
            assumptions: opt_object(m, "assumptions")?,
            config,
            data_hash: opt_string(m, "dataHash")?,
            code_version: opt_string(m, "codeVersion")?,
            environment: opt_object(m, "environment")?,
            metrics,
            artifacts,
            notes: opt_string(m, "notes")?,
            parent: opt_string(m, "parent")?,
            created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        RunInput::from_value(&v).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_field() {
        assert!(err(json!({ "config": {} })).contains("`kind`: missing"));
        assert!(err(json!({ "kind": "bogus", "config": {} })).contains("`kind`: 'bogus'"));
        assert!(err(json!({ "kind": "backtest" })).contains("`config`: missing"));
        assert!(
            err(json!({ "kind": "backtest", "config": {}, "symbols": ["BTC/USDT", 3] }))
                .contains("`symbols[1]`")
        );
        assert!(
            err(json!({ "kind": "backtest", "config": {}, "metrics": [1] }))
                .contains("`metrics`: expected a JSON object, got an array")
        );
        assert!(
            err(json!({ "kind": "backtest", "config": {}, "artifacts": { "out": 1 } }))
                .contains("`artifacts.out`")
        );
        assert!(err(
            json!({ "kind": "backtest", "config": {}, "window": { "first": 5, "last": 1 } })
        )
        .contains("`window`: first 5 is after last 1"));
        assert!(err(
            json!({ "kind": "backtest", "config": {}, "window": { "first": 1.5, "last": 2 } })
        )
        .contains("`window.first`"));
        assert!(
            err(json!({ "kind": "backtest", "config": {}, "metric": {} }))
                .contains("`metric`: unknown field")
        );
        assert!(
            err(json!({ "kind": "backtest", "config": {}, "environment": "x86" }))
                .contains("`environment`: expected a JSON object, got a string")
        );
        assert!(RunInput::from_json("{")
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
    }

    #[test]
    fn parses_a_full_input() {
        let r = RunInput::from_value(&json!({
            "kind": "eval", "symbols": ["SOL/USDT"], "interval": "1h", "split": "test", "window": { "first": 1, "last": 2 },
            "assumptions": { "decisionLag": 1 }, "config": { "a": 1 }, "dataHash": "h", "codeVersion": "0.1.0+abc",
            "environment": { "cpu": "c", "simd": "avx2" }, "metrics": { "sortino": 1.5 }, "artifacts": { "model": "m.pt" }, "notes": "n", "parent": "r-1", "createdAt": 1000
        }))
        .unwrap();
        assert_eq!(r.window, Some((1, 2)));
        assert_eq!(r.parent.as_deref(), Some("r-1"));
        assert_eq!(r.created_at, Some(1000));
        assert_eq!(r.environment, Some(json!({ "cpu": "c", "simd": "avx2" })));
    }
}
