//! What to compute (`FeatureSpec`) and the versioned record of what was computed
//! (`FeatureSchema`: names + parameters + hash), saved with every dataset and checkpoint.
use crate::FeatureError;
use serde::{Deserialize, Serialize};

/// Bump when any feature definition changes, so old checkpoints are refused instead of
/// silently fed different numbers.
pub const FEATURE_VERSION: u32 = 1;

/// Forecast features: which forecaster's frame is joined, at which horizons and quantiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForecastFeatureSpec {
    pub model: String,
    #[serde(default = "default_horizons")]
    pub horizons: Vec<u32>,
    #[serde(default = "default_quantiles")]
    pub quantiles: Vec<f64>,
}

pub fn default_horizons() -> Vec<u32> {
    vec![1, 4, 24]
}

pub fn default_quantiles() -> Vec<f64> {
    vec![0.1, 0.5, 0.9]
}

/// The feature set. Windows count bars of the dataset's interval (hours for 1h); a window is only
/// valid where its bars are consecutive in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FeatureSpec {
    pub version: u32,
    pub return_windows: Vec<u32>,
    pub ma_windows: Vec<u32>,
    pub vol_windows: Vec<u32>,
    pub rsi: u32,
    pub atr: u32,
    pub adx: u32,
    pub volume_z: u32,
    pub ema_spans: Vec<u32>,
    pub calendar: bool,
    pub forecast: Option<ForecastFeatureSpec>,
}

impl Default for FeatureSpec {
    fn default() -> Self {
        FeatureSpec {
            version: FEATURE_VERSION,
            return_windows: vec![1, 4, 24],
            ma_windows: vec![24, 72, 168],
            vol_windows: vec![24, 168],
            rsi: 14,
            atr: 14,
            adx: 14,
            volume_z: 168,
            ema_spans: vec![24, 168],
            calendar: true,
            forecast: None,
        }
    }
}

impl FeatureSpec {
    pub fn validate(&self) -> Result<(), FeatureError> {
        if self.version != FEATURE_VERSION {
            return Err(FeatureError::spec(
                "version",
                format!(
                    "is {}, this build computes version {FEATURE_VERSION}",
                    self.version
                ),
            ));
        }
        let lists: [(&str, &Vec<u32>); 4] = [
            ("returnWindows", &self.return_windows),
            ("maWindows", &self.ma_windows),
            ("volWindows", &self.vol_windows),
            ("emaSpans", &self.ema_spans),
        ];
        for (field, v) in lists {
            if v.contains(&0) {
                return Err(FeatureError::spec(
                    field,
                    "contains 0 (windows are >= 1 bar)",
                ));
            }
            let mut s = v.clone();
            s.sort_unstable();
            s.dedup();
            if s.len() != v.len() {
                return Err(FeatureError::spec(field, format!("has duplicates: {v:?}")));
            }
        }
        if self.vol_windows.contains(&1) {
            return Err(FeatureError::spec(
                "volWindows",
                "a standard deviation needs a window >= 2",
            ));
        }
        if self.volume_z == 1 {
            return Err(FeatureError::spec(
                "volumeZ",
                "a z-score needs a window >= 2 (0 disables)",
            ));
        }
        if let Some(f) = &self.forecast {
            if f.model.trim().is_empty() {
                return Err(FeatureError::spec("forecast.model", "is empty"));
            }
            if f.horizons.is_empty() || f.horizons.contains(&0) {
                return Err(FeatureError::spec(
                    "forecast.horizons",
                    "must be non-empty horizons >= 1",
                ));
            }
            if !f.quantiles.contains(&0.5) {
                return Err(FeatureError::spec(
                    "forecast.quantiles",
                    "must include 0.5 (the median drives the delta features)",
                ));
            }
            if f.quantiles.iter().any(|q| !(*q > 0.0 && *q < 1.0)) {
                return Err(FeatureError::spec(
                    "forecast.quantiles",
                    "must lie strictly between 0 and 1",
                ));
            }
        }
        Ok(())
    }

    /// Names of the columns `build_features` produces for this spec, in order.
    pub fn feature_names(&self) -> Vec<String> {
        let mut n = Vec::new();
        for k in &self.return_windows {
            n.push(format!("ret_{k}"));
        }
        n.push("logret_1".into());
        for w in &self.ma_windows {
            n.push(format!("ma_delta_{w}"));
        }
        for p in self.ma_windows.windows(2) {
            n.push(format!("ma_ratio_{}_{}", p[0], p[1]));
        }
        for w in &self.vol_windows {
            n.push(format!("vol_{w}"));
        }
        n.push("range_pct".into());
        if self.volume_z > 0 {
            n.push(format!("volume_z_{}", self.volume_z));
        }
        if self.rsi > 0 {
            n.push(format!("rsi_{}", self.rsi));
        }
        if self.atr > 0 {
            n.push(format!("atr_pct_{}", self.atr));
        }
        if self.adx > 0 {
            n.push(format!("adx_{}", self.adx));
        }
        for s in &self.ema_spans {
            n.push(format!("ema_delta_{s}"));
        }
        if self.calendar {
            n.extend(["hour_sin", "hour_cos", "dow_sin", "dow_cos"].map(String::from));
        }
        if let Some(f) = &self.forecast {
            for h in &f.horizons {
                n.push(format!("fc_close_delta_h{h}"));
                n.push(format!("fc_high_delta_h{h}"));
                n.push(format!("fc_low_delta_h{h}"));
                if f.quantiles.len() >= 2 {
                    n.push(format!("fc_width_h{h}"));
                }
            }
        }
        n
    }

    pub fn schema(&self) -> FeatureSchema {
        FeatureSchema::new(
            self.version,
            self.feature_names(),
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Names + parameters + version of a feature set, with a hash over all three.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureSchema {
    pub version: u32,
    pub names: Vec<String>,
    pub spec: serde_json::Value,
    pub hash: String,
}

impl FeatureSchema {
    pub fn new(version: u32, names: Vec<String>, spec: serde_json::Value) -> FeatureSchema {
        let hash = schema_hash(version, &names, &spec);
        FeatureSchema {
            version,
            names,
            spec,
            hash,
        }
    }

    /// Ok when both describe the same features; otherwise an error listing every difference
    /// (version, missing/extra/reordered names, changed parameters). Never pads or reorders.
    pub fn ensure_same(&self, other: &FeatureSchema) -> Result<(), FeatureError> {
        if self.version == other.version && self.names == other.names && self.spec == other.spec {
            return Ok(());
        }
        let mut diffs = Vec::new();
        if self.version != other.version {
            diffs.push(format!("version {} vs {}", self.version, other.version));
        }
        let missing: Vec<&str> = self
            .names
            .iter()
            .filter(|n| !other.names.contains(n))
            .map(String::as_str)
            .collect();
        let extra: Vec<&str> = other
            .names
            .iter()
            .filter(|n| !self.names.contains(n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            diffs.push(format!(
                "features missing from the other schema: {}",
                missing.join(", ")
            ));
        }
        if !extra.is_empty() {
            diffs.push(format!(
                "features only in the other schema: {}",
                extra.join(", ")
            ));
        }
        if missing.is_empty() && extra.is_empty() && self.names != other.names {
            diffs.push("same features in a different order".into());
        }
        diff_json("spec", &self.spec, &other.spec, &mut diffs);
        if diffs.is_empty() {
            diffs.push(format!("hash {} vs {}", self.hash, other.hash));
        }
        Err(FeatureError::SchemaMismatch(format!(
            "expected schema {} but got {}: {}",
            self.hash,
            other.hash,
            diffs.join("; ")
        )))
    }

    /// True when the stored hash matches the content (detects hand-edited files).
    pub fn hash_is_consistent(&self) -> bool {
        self.hash == schema_hash(self.version, &self.names, &self.spec)
    }
}

fn diff_json(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                diff_json(&format!("{path}.{k}"), va, vb, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {a} vs {b}")),
        _ => {}
    }
}

/// FNV-1a 64 over the canonical JSON of (version, names, spec): stable across runs and builds.
fn schema_hash(version: u32, names: &[String], spec: &serde_json::Value) -> String {
    let canon = serde_json::json!({ "version": version, "names": names, "spec": spec }).to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in canon.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spec_is_valid_and_names_are_unique() {
        let s = FeatureSpec::default();
        s.validate().unwrap();
        let names = s.feature_names();
        let mut u = names.clone();
        u.sort();
        u.dedup();
        assert_eq!(u.len(), names.len());
        assert!(names.contains(&"rsi_14".to_string()));
    }

    #[test]
    fn schema_mismatch_names_the_difference() {
        let a = FeatureSpec::default().schema();
        let b = FeatureSpec {
            ma_windows: vec![24, 72],
            ..FeatureSpec::default()
        }
        .schema();
        a.ensure_same(&a.clone()).unwrap();
        let e = a.ensure_same(&b).unwrap_err().to_string();
        assert!(e.contains("ma_delta_168"), "{e}");
        assert!(e.contains("spec.maWindows"), "{e}");
        let c = FeatureSpec {
            rsi: 21,
            ..FeatureSpec::default()
        }
        .schema();
        let e = a.ensure_same(&c).unwrap_err().to_string();
        assert!(
            e.contains("rsi_14") && e.contains("rsi_21") && e.contains("spec.rsi: 14 vs 21"),
            "{e}"
        );
        assert_ne!(a.hash, c.hash);
        assert!(a.hash_is_consistent());
    }

    #[test]
    fn spec_json_is_camel_case_and_strict() {
        let s: FeatureSpec =
            serde_json::from_str(r#"{"maWindows":[10,20],"calendar":false}"#).unwrap();
        assert_eq!(s.ma_windows, vec![10, 20]);
        assert_eq!(s.rsi, 14);
        assert!(serde_json::from_str::<FeatureSpec>(r#"{"maWindow":[10]}"#).is_err());
        assert!(FeatureSpec {
            vol_windows: vec![1],
            ..FeatureSpec::default()
        }
        .validate()
        .is_err());
    }
}
