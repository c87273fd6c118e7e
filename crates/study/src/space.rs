//! The search space: named parameters, each a float, int (optionally on a log scale or a step
//! grid) or a categorical choice. Samplers work on an *internal* f64 per parameter (the value
//! itself for numbers, the choice index for categoricals), as Optuna does.
use crate::error::StudyError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use ts_rs::TS;

/// One searchable parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum Param {
    Float {
        low: f64,
        high: f64,
        #[serde(default)]
        log: bool,
        /// Values on `low + k * step` (not with `log`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        step: Option<f64>,
    },
    Int {
        #[ts(type = "number")]
        low: i64,
        #[ts(type = "number")]
        high: i64,
        #[serde(default)]
        log: bool,
        /// Default 1 (not with `log`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional, type = "number")]
        step: Option<i64>,
    },
    Categorical {
        #[ts(type = "unknown[]")]
        choices: Vec<Value>,
    },
}

/// Parameter name -> parameter (sorted by name, so a space has one canonical order).
pub type Space = BTreeMap<String, Param>;

impl Param {
    /// Rejects an empty or inverted range, a categorical with no choices, a log scale over
    /// non-positive values, naming the field.
    pub fn validate(&self, name: &str) -> Result<(), StudyError> {
        let bad = |m: String| Err(StudyError::field(name, m));
        match *self {
            Param::Float {
                low,
                high,
                log,
                step,
            } => {
                if !low.is_finite() || !high.is_finite() {
                    return bad(format!(
                        "bounds must be finite numbers, got low {low}, high {high}"
                    ));
                }
                if low > high {
                    return bad(format!("low {low} is above high {high}"));
                }
                if log && low <= 0.0 {
                    return bad(format!("a log scale needs low > 0, got {low}"));
                }
                if let Some(s) = step {
                    if log {
                        return bad("`step` and `log` cannot be combined".into());
                    }
                    if !(s.is_finite() && s > 0.0) {
                        return bad(format!("step must be > 0, got {s}"));
                    }
                }
            }
            Param::Int {
                low,
                high,
                log,
                step,
            } => {
                if low > high {
                    return bad(format!("low {low} is above high {high}"));
                }
                if log && low < 1 {
                    return bad(format!("a log scale needs low >= 1, got {low}"));
                }
                if let Some(s) = step {
                    if log && s != 1 {
                        return bad("`step` and `log` cannot be combined".into());
                    }
                    if s < 1 {
                        return bad(format!("step must be >= 1, got {s}"));
                    }
                }
            }
            Param::Categorical { ref choices } => {
                if choices.is_empty() {
                    return bad("a categorical needs at least one choice".into());
                }
                for (i, c) in choices.iter().enumerate() {
                    if c.is_array() || c.is_object() {
                        return bad(format!(
                            "choice {i} must be a string, number, boolean or null"
                        ));
                    }
                    if choices[..i].contains(c) {
                        return bad(format!("choice {i} ({c}) is listed twice"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The value a user sees for an internal value (rounded onto the int/step grid, clamped).
    pub fn external(&self, internal: f64) -> Value {
        match self {
            Param::Float {
                low, high, step, ..
            } => {
                let v = match step {
                    Some(s) => (low + ((internal - low) / s).round() * s).clamp(*low, *high),
                    None => internal.clamp(*low, *high),
                };
                serde_json::json!(v)
            }
            Param::Int { .. } => serde_json::json!(self.snap_int(internal)),
            Param::Categorical { choices } => {
                let i = (internal.round().max(0.0) as usize).min(choices.len() - 1);
                choices[i].clone()
            }
        }
    }

    /// The internal value of a user-facing one (e.g. a resumed trial's stored params).
    pub fn internal(&self, name: &str, v: &Value) -> Result<f64, StudyError> {
        let err = || StudyError::field(name, format!("{v} is not in this parameter's space"));
        match self {
            Param::Float { low, high, .. } => {
                v.as_f64().filter(|x| x >= low && x <= high).ok_or_else(err)
            }
            Param::Int { low, high, .. } => v
                .as_i64()
                .filter(|x| x >= low && x <= high)
                .map(|x| x as f64)
                .ok_or_else(err),
            Param::Categorical { choices } => choices
                .iter()
                .position(|c| c == v)
                .map(|i| i as f64)
                .ok_or_else(err),
        }
    }

    fn snap_int(&self, internal: f64) -> i64 {
        match *self {
            Param::Int {
                low, high, step, ..
            } => {
                let s = step.unwrap_or(1) as f64;
                let k = ((internal - low as f64) / s).round();
                ((low as f64 + k * s) as i64).clamp(low, high - (high - low) % step.unwrap_or(1))
            }
            _ => internal.round() as i64,
        }
    }

    /// Every value of a discrete parameter (grid sampling); a float without a step has none.
    pub fn grid_values(&self, name: &str) -> Result<Vec<f64>, StudyError> {
        match *self {
            Param::Float {
                low,
                high,
                step: Some(s),
                ..
            } => {
                let n = ((high - low) / s + 1e-9).floor() as usize + 1;
                Ok((0..n).map(|k| low + k as f64 * s).collect())
            }
            Param::Float { .. } => Err(StudyError::field(
                name,
                "a grid sampler needs `step` on float parameters",
            )),
            Param::Int {
                low, high, step, ..
            } => {
                let s = step.unwrap_or(1);
                Ok((0..=((high - low) / s))
                    .map(|k| (low + k * s) as f64)
                    .collect())
            }
            Param::Categorical { ref choices } => {
                Ok((0..choices.len()).map(|i| i as f64).collect())
            }
        }
    }
}

/// Validates every parameter; a space needs at least one.
pub fn validate_space(space: &Space) -> Result<(), StudyError> {
    if space.is_empty() {
        return Err(StudyError::field(
            "space",
            "a search space needs at least one parameter",
        ));
    }
    space.iter().try_for_each(|(k, p)| p.validate(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Param, String> {
        serde_json::from_value::<Param>(v).map_err(|e| e.to_string())
    }

    #[test]
    fn invalid_parameters_name_the_field() {
        let p = parse(json!({ "type": "float", "low": 2.0, "high": 1.0 })).unwrap();
        assert_eq!(
            p.validate("fast").unwrap_err().to_string(),
            "`fast`: low 2 is above high 1"
        );
        let p = parse(json!({ "type": "categorical", "choices": [] })).unwrap();
        assert!(p
            .validate("kind")
            .unwrap_err()
            .to_string()
            .starts_with("`kind`: a categorical needs"));
        let p = parse(json!({ "type": "int", "low": 0, "high": 9, "log": true })).unwrap();
        assert!(p
            .validate("n")
            .unwrap_err()
            .to_string()
            .contains("log scale needs low >= 1"));
        assert!(
            parse(json!({ "type": "float", "low": 0, "high": 1, "lo": 3 }))
                .unwrap_err()
                .contains("unknown field `lo`")
        );
        assert!(validate_space(&Space::new()).is_err());
    }

    #[test]
    fn internal_and_external_round_trip() {
        let p = Param::Int {
            low: 2,
            high: 20,
            log: false,
            step: Some(3),
        };
        assert_eq!(p.external(6.4), json!(5));
        assert_eq!(p.external(100.0), json!(20));
        assert_eq!(
            p.grid_values("x").unwrap(),
            vec![2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0]
        );
        let c = Param::Categorical {
            choices: vec![json!("a"), json!(1)],
        };
        assert_eq!(c.external(1.0), json!(1));
        assert_eq!(c.internal("c", &json!("a")).unwrap(), 0.0);
        assert!(c
            .internal("c", &json!("z"))
            .unwrap_err()
            .to_string()
            .starts_with("`c`"));
        let f = Param::Float {
            low: 0.0,
            high: 1.0,
            log: false,
            step: Some(0.25),
        };
        assert_eq!(f.external(0.3), json!(0.25));
    }
}
