//! A study: the spec plus every trial so far, with ask / tell / report.
use crate::error::StudyError;
use crate::pruner::{should_prune, RungBook};
use crate::sampler::{grid, grid_size, random, tpe, TpeSettings};
use crate::spec::{PrunerSpec, SamplerSpec, StudySpec};
use crate::trial::{Asked, Outcome, Summary, Trial, TrialState};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;
use std::collections::BTreeMap;

pub struct Study {
    spec: StudySpec,
    sampler: SamplerSpec,
    pruner: PrunerSpec,
    trials: Vec<Trial>,
    rungs: RungBook,
}

/// SplitMix64: trial n's generator depends on (seed, n) only.
fn mix(seed: u64, n: u32) -> u64 {
    let mut z = seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Study {
    pub fn new(spec: StudySpec) -> Result<Self, StudyError> {
        spec.validate()?;
        Ok(Study {
            sampler: spec.sampler(),
            pruner: spec.pruner(),
            spec,
            trials: Vec::new(),
            rungs: RungBook::default(),
        })
    }

    /// A study with trials recorded earlier (numbers 0..n in order, params in the space).
    /// Successive-halving rungs are rebuilt by replaying each trial's intermediate values.
    pub fn restore(spec: StudySpec, trials: Vec<Trial>) -> Result<Self, StudyError> {
        let mut s = Study::new(spec)?;
        for (i, t) in trials.into_iter().enumerate() {
            if t.number as usize != i {
                return Err(StudyError::Trial {
                    number: t.number,
                    msg: format!(
                        "expected trial number {i} (trials must be numbered 0, 1, ... in order)"
                    ),
                });
            }
            for (k, v) in &t.params {
                let p = s.spec.space.get(k).ok_or_else(|| StudyError::Trial {
                    number: t.number,
                    msg: format!("parameter `{k}` is not in the search space"),
                })?;
                p.internal(k, v).map_err(|e| StudyError::Trial {
                    number: t.number,
                    msg: e.to_string(),
                })?;
            }
            let steps = t.intermediate.clone();
            s.trials.push(Trial {
                intermediate: Vec::new(),
                ..t
            });
            for (step, v) in steps {
                s.trials[i].intermediate.push((step, v));
                if matches!(s.pruner, PrunerSpec::SuccessiveHalving { .. }) {
                    let mut rungs = std::mem::take(&mut s.rungs);
                    let (me, others) = s.split(i);
                    should_prune(&s.pruner, s.spec.direction, me, step, &others, &mut rungs);
                    s.rungs = rungs;
                }
            }
        }
        Ok(s)
    }

    fn split(&self, i: usize) -> (&Trial, Vec<&Trial>) {
        (
            &self.trials[i],
            self.trials
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, t)| t)
                .collect(),
        )
    }

    pub fn spec(&self) -> &StudySpec {
        &self.spec
    }

    pub fn trials(&self) -> &[Trial] {
        &self.trials
    }

    /// How many trials the sampler can hand out at most (a grid's size; None: unbounded).
    pub fn capacity(&self) -> Option<u64> {
        match self.sampler {
            SamplerSpec::Grid => grid_size(&self.spec.space),
            _ => None,
        }
    }

    fn internal(&self, t: &Trial) -> BTreeMap<String, f64> {
        t.params
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), self.spec.space.get(k)?.internal(k, v).ok()?)))
            .collect()
    }

    /// The next trial's parameters (it is now running), or None when a grid is exhausted.
    pub fn ask(&mut self) -> Result<Option<Asked>, StudyError> {
        let number = self.trials.len() as u32;
        let mut rng = StdRng::seed_from_u64(mix(self.spec.seed.unwrap_or(0), number));
        let internal = match &self.sampler {
            SamplerSpec::Random => random(&self.spec.space, &mut rng),
            SamplerSpec::Grid => match grid(&self.spec.space, number as u64) {
                Some(g) => g,
                None => return Ok(None),
            },
            s @ SamplerSpec::Tpe { .. } => {
                let (startup, settings) = TpeSettings::from_spec(s).expect("a TPE spec");
                let finished = self
                    .trials
                    .iter()
                    .filter(|t| matches!(t.state, TrialState::Complete | TrialState::Pruned))
                    .count() as u32;
                if finished < startup {
                    random(&self.spec.space, &mut rng)
                } else {
                    let history: Vec<(&Trial, BTreeMap<String, f64>)> =
                        self.trials.iter().map(|t| (t, self.internal(t))).collect();
                    tpe(
                        &self.spec.space,
                        &history,
                        self.spec.direction,
                        &settings,
                        &mut rng,
                    )
                }
            }
        };
        let params: BTreeMap<String, Value> = internal
            .iter()
            .map(|(k, v)| (k.clone(), self.spec.space[k].external(*v)))
            .collect();
        self.trials.push(Trial {
            number,
            params: params.clone(),
            state: TrialState::Running,
            value: None,
            intermediate: Vec::new(),
        });
        Ok(Some(Asked { number, params }))
    }

    fn running(&mut self, number: u32) -> Result<usize, StudyError> {
        let i = number as usize;
        match self.trials.get(i) {
            None => Err(StudyError::Trial {
                number,
                msg: "no such trial".into(),
            }),
            Some(t) if t.state.finished() => Err(StudyError::Trial {
                number,
                msg: format!("already finished ({:?})", t.state),
            }),
            Some(_) => Ok(i),
        }
    }

    /// Records an intermediate value; true when the pruner says the trial should stop.
    pub fn report(&mut self, number: u32, step: u32, value: f64) -> Result<bool, StudyError> {
        let i = self.running(number)?;
        if let Some((last, _)) = self.trials[i].last_intermediate() {
            if step <= last {
                return Err(StudyError::Trial {
                    number,
                    msg: format!("step {step} reported after step {last} (steps must increase)"),
                });
            }
        }
        self.trials[i].intermediate.push((step, value));
        let dir = self.spec.direction;
        let pruner = self.pruner.clone();
        let mut rungs = std::mem::take(&mut self.rungs);
        let (me, others) = self.split(i);
        let prune = should_prune(&pruner, dir, me, step, &others, &mut rungs);
        self.rungs = rungs;
        Ok(prune)
    }

    pub fn tell(&mut self, number: u32, outcome: Outcome) -> Result<&Trial, StudyError> {
        let i = self.running(number)?;
        let t = &mut self.trials[i];
        match outcome {
            Outcome::Complete { value } => {
                if !value.is_finite() {
                    return Err(StudyError::Trial {
                        number,
                        msg: format!("objective value {value} is not finite (tell it as failed)"),
                    });
                }
                t.state = TrialState::Complete;
                t.value = Some(value);
            }
            Outcome::Pruned => {
                t.state = TrialState::Pruned;
                t.value = t.last_intermediate().map(|(_, v)| v);
            }
            Outcome::Failed => t.state = TrialState::Failed,
        }
        Ok(&self.trials[i])
    }

    /// The best complete trial (ties: the earlier one).
    pub fn best(&self) -> Option<&Trial> {
        let dir = self.spec.direction;
        self.trials
            .iter()
            .filter(|t| t.state == TrialState::Complete)
            .min_by(|a, b| {
                dir.loss(a.value.unwrap_or(f64::NAN))
                    .total_cmp(&dir.loss(b.value.unwrap_or(f64::NAN)))
                    .then(a.number.cmp(&b.number))
            })
    }

    pub fn summary(&self) -> Summary {
        let count = |s: TrialState| self.trials.iter().filter(|t| t.state == s).count() as u32;
        Summary {
            trials: self.trials.len() as u32,
            running: count(TrialState::Running),
            complete: count(TrialState::Complete),
            pruned: count(TrialState::Pruned),
            failed: count(TrialState::Failed),
            best: self.best().cloned(),
        }
    }
}
