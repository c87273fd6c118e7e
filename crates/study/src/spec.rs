//! What a study is: direction, search space, sampler and pruner settings, seed.
use crate::error::StudyError;
use crate::space::{validate_space, Space};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    Minimize,
    Maximize,
}

impl Direction {
    /// Samplers and pruners minimise a loss: the value, or its negation when maximising.
    pub fn loss(self, value: f64) -> f64 {
        let l = match self {
            Direction::Minimize => value,
            Direction::Maximize => -value,
        };
        if l.is_nan() {
            f64::INFINITY
        } else {
            l
        }
    }
}

fn d_startup() -> u32 {
    10
}
fn d_candidates() -> u32 {
    24
}
fn d_gamma() -> f64 {
    0.1
}
fn d_true() -> bool {
    true
}
fn d_prior() -> f64 {
    1.0
}

/// How the next trial's parameters are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum SamplerSpec {
    /// Optuna-style univariate TPE: random for the first `nStartupTrials` finished trials, then
    /// per parameter the best of `nEiCandidates` draws from l(x) by l(x)/g(x), where l is fit to
    /// the best `min(ceil(gamma * n), 25)` trials. With `constantLiar`, trials still running
    /// count as the worst, so parallel asks spread out instead of piling onto one point.
    Tpe {
        #[serde(default = "d_startup")]
        n_startup_trials: u32,
        #[serde(default = "d_gamma")]
        gamma: f64,
        #[serde(default = "d_candidates")]
        n_ei_candidates: u32,
        #[serde(default = "d_true")]
        constant_liar: bool,
        #[serde(default = "d_prior")]
        prior_weight: f64,
    },
    Random,
    /// Every combination once, in order (floats need a `step`).
    Grid,
}

impl Default for SamplerSpec {
    fn default() -> Self {
        SamplerSpec::Tpe {
            n_startup_trials: d_startup(),
            gamma: d_gamma(),
            n_ei_candidates: d_candidates(),
            constant_liar: true,
            prior_weight: d_prior(),
        }
    }
}

fn d_median_startup() -> u32 {
    5
}
fn d_one() -> u32 {
    1
}
fn d_three() -> u32 {
    3
}

/// When to stop a trial early on its intermediate values.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum PrunerSpec {
    #[default]
    None,
    /// Prune when the trial's best value so far is worse than the median of completed trials'
    /// values at the same step (after `nStartupTrials` completed and `nWarmupSteps` steps).
    Median {
        #[serde(default = "d_median_startup")]
        n_startup_trials: u32,
        #[serde(default)]
        n_warmup_steps: u32,
    },
    /// Asynchronous successive halving (ASHA): rung k sits at step
    /// `minResource * reductionFactor^(minEarlyStoppingRate + k)`; a trial reaching a rung goes
    /// on only while it is in the top 1/reductionFactor of the values recorded there.
    SuccessiveHalving {
        #[serde(default = "d_one")]
        min_resource: u32,
        #[serde(default = "d_three")]
        reduction_factor: u32,
        #[serde(default)]
        min_early_stopping_rate: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StudySpec {
    pub direction: Direction,
    pub space: Space,
    #[serde(default)]
    #[ts(optional)]
    pub sampler: Option<SamplerSpec>,
    #[serde(default)]
    #[ts(optional)]
    pub pruner: Option<PrunerSpec>,
    /// Trial n's draws come from (seed, n) alone, so a resumed study asks what it would have.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub seed: Option<u64>,
}

impl StudySpec {
    pub fn from_json(text: &str) -> Result<Self, StudyError> {
        let spec: StudySpec =
            serde_json::from_str(text).map_err(|e| StudyError::Spec(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn sampler(&self) -> SamplerSpec {
        self.sampler.clone().unwrap_or_default()
    }

    pub fn pruner(&self) -> PrunerSpec {
        self.pruner.clone().unwrap_or_default()
    }

    pub fn validate(&self) -> Result<(), StudyError> {
        validate_space(&self.space)?;
        match self.sampler() {
            SamplerSpec::Tpe {
                gamma,
                n_ei_candidates,
                prior_weight,
                ..
            } => {
                if !(gamma > 0.0 && gamma <= 1.0) {
                    return Err(StudyError::field(
                        "sampler.gamma",
                        format!("must be in (0, 1], got {gamma}"),
                    ));
                }
                if n_ei_candidates == 0 {
                    return Err(StudyError::field("sampler.nEiCandidates", "must be >= 1"));
                }
                if !(prior_weight > 0.0 && prior_weight.is_finite()) {
                    return Err(StudyError::field(
                        "sampler.priorWeight",
                        format!("must be > 0, got {prior_weight}"),
                    ));
                }
            }
            SamplerSpec::Grid => {
                for (k, p) in &self.space {
                    p.grid_values(k)?;
                }
            }
            SamplerSpec::Random => {}
        }
        if let PrunerSpec::SuccessiveHalving {
            min_resource,
            reduction_factor,
            ..
        } = self.pruner()
        {
            if min_resource == 0 {
                return Err(StudyError::field("pruner.minResource", "must be >= 1"));
            }
            if reduction_factor < 2 {
                return Err(StudyError::field(
                    "pruner.reductionFactor",
                    format!("must be >= 2, got {reduction_factor}"),
                ));
            }
        }
        Ok(())
    }
}
