//! Per-feature z-score fitted on the training rows only and saved with datasets/checkpoints.
//! Serving loads the saved normaliser; nothing here refits on new data.
use crate::frame::FeatureFrame;
use crate::FeatureError;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;

/// Standard deviations below this are replaced by 1 (constant columns stay centred, not blown up).
pub const MIN_STD: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Normaliser {
    pub names: Vec<String>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// (first, last) bar open time of the rows the fit used.
    pub fitted_rows: (i64, i64),
    /// Hash of the feature schema it was fitted for.
    pub schema_hash: String,
}

impl Normaliser {
    /// NaN-aware mean and population std of each feature over `rows`. Errors when the range is
    /// empty or a feature has no finite value in it.
    pub fn fit(frame: &FeatureFrame, rows: Range<usize>) -> Result<Normaliser, FeatureError> {
        if rows.start >= rows.end || rows.end > frame.n_rows() {
            return Err(FeatureError::Normaliser(format!(
                "fit rows {}..{} are empty or outside the frame's {} rows",
                rows.start,
                rows.end,
                frame.n_rows()
            )));
        }
        let mut mean = Vec::with_capacity(frame.n_features());
        let mut std = Vec::with_capacity(frame.n_features());
        for (name, col) in frame.names.iter().zip(&frame.columns) {
            let vals = col[rows.clone()].iter().filter(|v| v.is_finite());
            let (mut k, mut m, mut s2) = (0usize, 0.0f64, 0.0f64);
            for &v in vals {
                // Welford: stable for large-magnitude columns.
                k += 1;
                let d = v - m;
                m += d / k as f64;
                s2 += d * (v - m);
            }
            if k == 0 {
                return Err(FeatureError::Normaliser(format!(
                    "feature {name} has no finite value in fit rows {}..{}",
                    rows.start, rows.end
                )));
            }
            let sd = (s2 / k as f64).sqrt();
            mean.push(m);
            std.push(if sd < MIN_STD || !sd.is_finite() {
                1.0
            } else {
                sd
            });
        }
        Ok(Normaliser {
            names: frame.names.clone(),
            mean,
            std,
            fitted_rows: (frame.ts[rows.start], frame.ts[rows.end - 1]),
            schema_hash: frame.schema.hash.clone(),
        })
    }

    /// Errors unless `frame` has exactly the features this normaliser was fitted on.
    pub fn check_frame(&self, frame: &FeatureFrame) -> Result<(), FeatureError> {
        if frame.names == self.names && frame.schema.hash == self.schema_hash {
            return Ok(());
        }
        let missing: Vec<&str> = self
            .names
            .iter()
            .filter(|n| !frame.names.contains(n))
            .map(String::as_str)
            .collect();
        let extra: Vec<&str> = frame
            .names
            .iter()
            .filter(|n| !self.names.contains(n))
            .map(String::as_str)
            .collect();
        let mut why = Vec::new();
        if !missing.is_empty() {
            why.push(format!("frame lacks {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            why.push(format!("frame has unfitted {}", extra.join(", ")));
        }
        if missing.is_empty() && extra.is_empty() && frame.names != self.names {
            why.push("features are in a different order".into());
        }
        if frame.schema.hash != self.schema_hash {
            why.push(format!(
                "schema hash {} vs fitted {}",
                frame.schema.hash, self.schema_hash
            ));
        }
        Err(FeatureError::SchemaMismatch(format!(
            "normaliser does not fit this frame: {}",
            why.join("; ")
        )))
    }

    /// Row-major `[n_rows * n_features]` z-scores as f32; NaN (invalid) becomes 0 after scaling.
    pub fn transform_row_major_f32(&self, frame: &FeatureFrame) -> Result<Vec<f32>, FeatureError> {
        self.check_frame(frame)?;
        let (n, f) = (frame.n_rows(), frame.n_features());
        let mut out = vec![0f32; n * f];
        for (j, col) in frame.columns.iter().enumerate() {
            let (m, s) = (self.mean[j], self.std[j]);
            for (t, v) in col.iter().enumerate() {
                let z = (v - m) / s;
                out[t * f + j] = if z.is_finite() { z as f32 } else { 0.0 };
            }
        }
        Ok(out)
    }

    /// Z-scores of one feature vector in this normaliser's order (serving one row at a time).
    pub fn transform_row(&self, row: &[f64]) -> Result<Vec<f32>, FeatureError> {
        if row.len() != self.names.len() {
            return Err(FeatureError::Normaliser(format!(
                "row has {} values, normaliser {} features",
                row.len(),
                self.names.len()
            )));
        }
        Ok(row
            .iter()
            .zip(self.mean.iter().zip(&self.std))
            .map(|(v, (m, s))| {
                let z = (v - m) / s;
                if z.is_finite() {
                    z as f32
                } else {
                    0.0
                }
            })
            .collect())
    }

    pub fn save(&self, path: &Path) -> Result<(), FeatureError> {
        let json =
            serde_json::to_vec_pretty(self).map_err(|e| FeatureError::Normaliser(e.to_string()))?;
        write_atomic(path, &json)
            .map_err(|e| FeatureError::Normaliser(format!("cannot write {}: {e}", path.display())))
    }

    pub fn load(path: &Path) -> Result<Normaliser, FeatureError> {
        let bytes = std::fs::read(path).map_err(|e| {
            FeatureError::Normaliser(format!("cannot read {}: {e}", path.display()))
        })?;
        let n: Normaliser = serde_json::from_slice(&bytes)
            .map_err(|e| FeatureError::Normaliser(format!("{}: {e}", path.display())))?;
        if n.mean.len() != n.names.len() || n.std.len() != n.names.len() {
            return Err(FeatureError::Normaliser(format!(
                "{}: names/mean/std lengths differ",
                path.display()
            )));
        }
        Ok(n)
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("normaliser"),
        std::process::id()
    ));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::FeatureSpec;

    fn frame() -> FeatureFrame {
        let schema = FeatureSpec::default().schema();
        FeatureFrame {
            ts: vec![0, 1, 2, 3],
            names: vec!["a".into(), "b".into()],
            columns: vec![vec![1.0, f64::NAN, 3.0, 100.0], vec![5.0, 5.0, 5.0, 5.0]],
            schema,
        }
    }

    #[test]
    fn fits_only_the_given_rows_and_zeroes_nan() {
        let f = frame();
        let n = Normaliser::fit(&f, 0..3).unwrap();
        assert_eq!(n.mean, vec![2.0, 5.0]);
        assert_eq!(n.std, vec![1.0, 1.0]); // std of {1,3} = 1; constant column -> 1
        assert_eq!(n.fitted_rows, (0, 2));
        let z = n.transform_row_major_f32(&f).unwrap();
        assert_eq!(z, vec![-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 98.0, 0.0]);
    }

    #[test]
    fn refuses_other_features_and_round_trips() {
        let f = frame();
        let n = Normaliser::fit(&f, 0..4).unwrap();
        let mut g = f.clone();
        g.names[1] = "c".into();
        let e = n.transform_row_major_f32(&g).unwrap_err().to_string();
        assert!(e.contains("lacks b") && e.contains("unfitted c"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("norm.json");
        n.save(&p).unwrap();
        assert_eq!(Normaliser::load(&p).unwrap(), n);
        assert!(Normaliser::fit(&f, 2..2).is_err());
    }
}
