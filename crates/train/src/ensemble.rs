//! Ensemble policies (seed 002): the mean of N checkpoints' decoded actions.
//!
//! An ensemble is a directory holding `ensemble.json` (`{"members": [{"checkpoint": DIR,
//! "epoch"?: N}], "source"?: "..."}`; member paths relative to that directory or absolute).
//! Wherever a checkpoint directory is accepted — `actions` (and so sweeps), `eval`, `decide`
//! (paper and live) — an ensemble directory is too: every member is served exactly as on its
//! own (its own features, saved normalisers, sequence length and decode), and row t's action is
//! the mean of the members' four decoded values. A side of a row has an order only where every
//! member placed one (a member still in its warm-up leaves the row empty), so the mean never mixes a
//! missing order with a real one. Since each member's sell ≥ buy + close·minGap, so is the mean.
//!
//! Members must share the target symbol, interval, splits and simulator parameters: the
//! ensemble is evaluated on one window with one set of assumptions. A test look through an
//! ensemble is one look: the global lock is claimed once (first member), and every member's
//! own ledger records it.
use crate::checkpoint::{CheckpointMeta, META_FILE};
use crate::error::{Result, TrainError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tradelab_sim::Actions;

pub const ENSEMBLE_FILE: &str = "ensemble.json";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnsembleMember {
    pub checkpoint: String,
    /// None = the member's best epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnsembleSpec {
    pub members: Vec<EnsembleMember>,
    /// How the members were chosen (e.g. "study S: top 3 trials by sortino on val"): a label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// A loaded ensemble: its members' directories and metadata, checked to be compatible.
#[derive(Debug)]
pub struct Ensemble {
    pub dir: PathBuf,
    pub spec: EnsembleSpec,
    pub members: Vec<(PathBuf, Option<usize>, CheckpointMeta)>,
    /// `sha256:` over the members' seal hashes and epochs, in order: the ensemble's identity.
    pub seal_hash: String,
}

impl Ensemble {
    /// The ensemble in `dir`, or None when `dir` has no `ensemble.json` (a plain checkpoint).
    pub fn load(dir: &Path) -> Result<Option<Ensemble>> {
        let file = dir.join(ENSEMBLE_FILE);
        if !file.exists() {
            return Ok(None);
        }
        let bad = |m: String| TrainError::file(&file, m);
        let text = std::fs::read_to_string(&file).map_err(|e| bad(e.to_string()))?;
        let spec: EnsembleSpec =
            serde_json::from_str(&text).map_err(|e| bad(format!("not an ensemble: {e}")))?;
        if spec.members.is_empty() {
            return Err(bad("members: an ensemble needs at least one member".into()));
        }
        if dir.join(META_FILE).exists() {
            return Err(bad(format!(
                "the directory holds both {ENSEMBLE_FILE} and {META_FILE}; an ensemble lives in a directory of its own"
            )));
        }
        let mut members = Vec::with_capacity(spec.members.len());
        for (i, m) in spec.members.iter().enumerate() {
            let p = dir.join(&m.checkpoint);
            if p.join(ENSEMBLE_FILE).exists() {
                return Err(bad(format!(
                    "members[{i}]: {} is itself an ensemble (nesting is not supported)",
                    p.display()
                )));
            }
            let meta = CheckpointMeta::load(&p)
                .map_err(|e| bad(format!("members[{i}] ({}): {e}", m.checkpoint)))?;
            // Fail here, not half-way through serving, on a missing epoch.
            meta.weights_for(&p, m.epoch)
                .map_err(|e| bad(format!("members[{i}] ({}): {e}", m.checkpoint)))?;
            members.push((p, m.epoch, meta));
        }
        let first = &members[0].2;
        let interval = first.config.interval()?;
        for (i, (p, _, meta)) in members.iter().enumerate().skip(1) {
            let differs = |what: &str| {
                bad(format!(
                    "members[{i}] ({}) has a different {what} from members[0]; members must share target symbol, interval, splits and simulator parameters",
                    p.display()
                ))
            };
            if meta.config.symbols.first() != first.config.symbols.first() {
                return Err(differs("target symbol"));
            }
            if meta.config.interval()? != interval {
                return Err(differs("interval"));
            }
            if meta.splits != first.splits {
                return Err(differs("split"));
            }
            if meta.config.sim.params(interval) != first.config.sim.params(interval) {
                return Err(differs("set of simulator parameters"));
            }
        }
        let seal_hash = {
            use sha2::{Digest, Sha256};
            let ids: Vec<(String, Option<usize>)> = members
                .iter()
                .map(|(_, e, m)| (m.seal_hash.clone(), *e))
                .collect();
            let bytes = serde_json::to_vec(&ids).map_err(|e| bad(e.to_string()))?;
            let d = Sha256::digest(&bytes);
            format!(
                "sha256:{}",
                d.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )
        };
        Ok(Some(Ensemble {
            dir: dir.to_path_buf(),
            spec,
            members,
            seal_hash,
        }))
    }

    /// The members' directories, as given to `actions`/`eval` (for summaries).
    pub fn member_dirs(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|(p, _, _)| p.display().to_string())
            .collect()
    }

    /// `--epoch` names one checkpoint's epoch; an ensemble's members name theirs in its file.
    pub fn refuse_epoch(&self, epoch: Option<usize>) -> Result<()> {
        match epoch {
            None => Ok(()),
            Some(_) => Err(TrainError::Usage(format!(
                "--epoch picks one checkpoint's epoch; {} is an ensemble whose members name their epochs in ensemble.json",
                self.dir.display()
            ))),
        }
    }

    /// The first member's metadata: the shared splits, interval and parameters.
    pub fn lead(&self) -> &CheckpointMeta {
        &self.members[0].2
    }
}

/// Row-wise mean of the members' actions (all the same length). A row where any member placed
/// no order on a side (NaN price) has no order on that side; otherwise that side's price and
/// fraction are the members' means. One member: its actions unchanged.
pub fn mean_actions(all: &[Actions]) -> Actions {
    let n = all.first().map_or(0, |a| a.buy_price.len());
    let mut out = Actions::empty(n);
    let k = all.len() as f64;
    for i in 0..n {
        let side = |price: fn(&Actions) -> &Vec<f64>, frac: fn(&Actions) -> &Vec<f64>| {
            if all.iter().any(|a| !price(a)[i].is_finite()) {
                return None;
            }
            let p = all.iter().map(|a| price(a)[i]).sum::<f64>() / k;
            let f = all.iter().map(|a| frac(a)[i]).sum::<f64>() / k;
            Some((p, f))
        };
        if let Some((p, f)) = side(|a| &a.buy_price, |a| &a.buy_frac) {
            out.buy_price[i] = p;
            out.buy_frac[i] = f;
        }
        if let Some((p, f)) = side(|a| &a.sell_price, |a| &a.sell_frac) {
            out.sell_price[i] = p;
            out.sell_frac[i] = f;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acts(rows: &[(f64, f64, f64, f64)]) -> Actions {
        let mut a = Actions::empty(rows.len());
        for (i, &(bp, sp, bf, sf)) in rows.iter().enumerate() {
            a.buy_price[i] = bp;
            a.sell_price[i] = sp;
            a.buy_frac[i] = bf;
            a.sell_frac[i] = sf;
        }
        a
    }

    #[test]
    fn mean_is_row_wise_and_needs_every_member() {
        let a = acts(&[(f64::NAN, f64::NAN, 0.0, 0.0), (99.0, 101.0, 0.2, 0.4)]);
        let b = acts(&[(98.0, 102.0, 0.5, 0.5), (97.0, 103.0, 0.6, 0.8)]);
        let m = mean_actions(&[a.clone(), b]);
        // Row 0: member a still warming up, so no order at all.
        assert!(m.buy_price[0].is_nan() && m.sell_price[0].is_nan());
        assert_eq!((m.buy_frac[0], m.sell_frac[0]), (0.0, 0.0));
        let row1 = [
            m.buy_price[1],
            m.sell_price[1],
            m.buy_frac[1],
            m.sell_frac[1],
        ];
        for (got, want) in row1.iter().zip([98.0, 102.0, 0.4, 0.6]) {
            assert!((got - want).abs() < 1e-12, "{row1:?}");
        }
        // One member: the ensemble is that member.
        let one = mean_actions(std::slice::from_ref(&a));
        assert!(one.buy_price[0].is_nan());
        assert_eq!(one.buy_price[1..], a.buy_price[1..]);
        assert_eq!(one.sell_frac, a.sell_frac);
    }
}
