//! Random, grid and univariate TPE sampling over a space, given the trials so far.
use crate::parzen::{Categorical, Numerical};
use crate::space::{Param, Space};
use crate::spec::{Direction, SamplerSpec};
use crate::trial::{Trial, TrialState};
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::BTreeMap;

/// A numeric parameter on the scale samplers work on: log for `log`, widened by half a step on
/// each side for discrete ones so every grid value owns an equal cell.
struct Scale {
    low: f64,
    high: f64,
    step: Option<f64>,
    log: bool,
}

fn scale(p: &Param) -> Option<Scale> {
    match *p {
        Param::Float {
            low,
            high,
            log: true,
            ..
        } => Some(Scale {
            low: low.ln(),
            high: high.ln(),
            step: None,
            log: true,
        }),
        Param::Float {
            low,
            high,
            step: Some(s),
            ..
        } => Some(Scale {
            low: low - s / 2.0,
            high: high + s / 2.0,
            step: Some(s),
            log: false,
        }),
        Param::Float { low, high, .. } => Some(Scale {
            low,
            high,
            step: None,
            log: false,
        }),
        Param::Int {
            low,
            high,
            log: true,
            ..
        } => Some(Scale {
            low: (low as f64 - 0.5).ln(),
            high: (high as f64 + 0.5).ln(),
            step: None,
            log: true,
        }),
        Param::Int {
            low, high, step, ..
        } => {
            let s = step.unwrap_or(1) as f64;
            Some(Scale {
                low: low as f64 - s / 2.0,
                high: high as f64 + s / 2.0,
                step: Some(s),
                log: false,
            })
        }
        Param::Categorical { .. } => None,
    }
}

impl Scale {
    fn to_search(&self, internal: f64) -> f64 {
        if self.log {
            internal.ln()
        } else {
            internal
        }
    }
    fn to_internal(&self, x: f64) -> f64 {
        if self.log {
            x.exp()
        } else {
            x
        }
    }
    /// A draw moved to the centre of its grid cell (discrete parameters).
    fn snap(&self, x: f64) -> f64 {
        match self.step {
            Some(s) => {
                let first = self.low + s / 2.0;
                let last = self.high - s / 2.0;
                (first + ((x - first) / s).round() * s).clamp(first, last)
            }
            None => x,
        }
    }
}

/// Internal values (numbers, or categorical indices) drawn uniformly.
pub fn random(space: &Space, rng: &mut StdRng) -> BTreeMap<String, f64> {
    space
        .iter()
        .map(|(k, p)| (k.clone(), random_one(p, rng)))
        .collect()
}

fn random_one(p: &Param, rng: &mut StdRng) -> f64 {
    match (p, scale(p)) {
        (Param::Categorical { choices }, _) => rng.gen_range(0..choices.len()) as f64,
        (_, Some(s)) => s.to_internal(s.snap(if s.high > s.low {
            rng.gen_range(s.low..=s.high)
        } else {
            s.low
        })),
        _ => unreachable!("every non-categorical parameter has a scale"),
    }
}

/// The `index`-th combination of the grid (last parameter fastest), or None past its end.
pub fn grid(space: &Space, index: u64) -> Option<BTreeMap<String, f64>> {
    let axes: Vec<(String, Vec<f64>)> = space
        .iter()
        .map(|(k, p)| (k.clone(), p.grid_values(k).unwrap_or_default()))
        .collect();
    let total = axes
        .iter()
        .try_fold(1u64, |acc, (_, v)| acc.checked_mul(v.len() as u64))?;
    if index >= total {
        return None;
    }
    let mut rest = index;
    let mut out = BTreeMap::new();
    for (k, vals) in axes.iter().rev() {
        let n = vals.len() as u64;
        out.insert(k.clone(), vals[(rest % n) as usize]);
        rest /= n;
    }
    Some(out)
}

pub fn grid_size(space: &Space) -> Option<u64> {
    space.iter().try_fold(1u64, |acc, (k, p)| {
        acc.checked_mul(p.grid_values(k).ok()?.len() as u64)
    })
}

/// Optuna's default weights: flat below 25 observations, else a ramp over the older ones.
fn weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// Sort key placing trials from best to worst: complete by loss, then pruned (further steps
/// first, then by their last value), then running trials (the constant liar: as bad as it gets).
fn rank_key(t: &Trial, dir: Direction) -> (u8, f64, f64) {
    match t.state {
        TrialState::Complete => (0, dir.loss(t.value.unwrap_or(f64::NAN)), 0.0),
        TrialState::Pruned => match t.last_intermediate() {
            Some((step, v)) => (1, -(step as f64), dir.loss(v)),
            None => (1, 0.0, f64::INFINITY),
        },
        _ => (2, 0.0, 0.0),
    }
}

type Observed<'a> = (&'a Trial, BTreeMap<String, f64>);

/// A group's internal values with their weights; weights go by age, so sort by trial number.
fn by_age<'a>(g: &[&'a Observed<'a>]) -> Vec<(&'a BTreeMap<String, f64>, f64)> {
    let mut g: Vec<&'a Observed<'a>> = g.to_vec();
    g.sort_by_key(|(tr, _)| tr.number);
    let w = weights(g.len());
    g.into_iter()
        .zip(w)
        .map(|((_, vals), w)| (vals, w))
        .collect()
}

pub struct TpeSettings {
    pub gamma: f64,
    pub n_ei_candidates: u32,
    pub constant_liar: bool,
    pub prior_weight: f64,
}

impl TpeSettings {
    pub fn from_spec(s: &SamplerSpec) -> Option<(u32, TpeSettings)> {
        match *s {
            SamplerSpec::Tpe {
                n_startup_trials,
                gamma,
                n_ei_candidates,
                constant_liar,
                prior_weight,
            } => Some((
                n_startup_trials,
                TpeSettings {
                    gamma,
                    n_ei_candidates,
                    constant_liar,
                    prior_weight,
                },
            )),
            _ => None,
        }
    }
}

/// One TPE proposal (internal values), each parameter chosen on its own (univariate).
/// `history` holds the other trials, finished and (for the liar) running, with their internal
/// values.
pub fn tpe(
    space: &Space,
    history: &[(&Trial, BTreeMap<String, f64>)],
    dir: Direction,
    t: &TpeSettings,
    rng: &mut StdRng,
) -> BTreeMap<String, f64> {
    let mut obs: Vec<&(&Trial, BTreeMap<String, f64>)> = history
        .iter()
        .filter(|(tr, _)| match tr.state {
            TrialState::Complete | TrialState::Pruned => true,
            TrialState::Running => t.constant_liar,
            TrialState::Failed => false,
        })
        .collect();
    obs.sort_by(|a, b| {
        let (ka, kb) = (rank_key(a.0, dir), rank_key(b.0, dir));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(a.0.number.cmp(&b.0.number))
    });
    let n_below = ((t.gamma * obs.len() as f64).ceil() as usize)
        .min(25)
        .min(obs.len());
    let (below, above) = obs.split_at(n_below);
    let (below, above) = (by_age(below), by_age(above));
    let mut out = BTreeMap::new();
    for (name, p) in space {
        let v = match (p, scale(p)) {
            (Param::Categorical { choices }, _) => {
                let pick = |g: &[(&BTreeMap<String, f64>, f64)]| {
                    g.iter()
                        .filter_map(|(vals, w)| vals.get(name).map(|v| (v.round() as usize, *w)))
                        .collect::<Vec<_>>()
                };
                let l = Categorical::new(&pick(&below), choices.len(), t.prior_weight);
                let g = Categorical::new(&pick(&above), choices.len(), t.prior_weight);
                let best = (0..t.n_ei_candidates)
                    .map(|_| l.sample(rng))
                    .max_by(|a, b| {
                        (l.log_pmf(*a) - g.log_pmf(*a)).total_cmp(&(l.log_pmf(*b) - g.log_pmf(*b)))
                    });
                best.unwrap_or(0) as f64
            }
            (_, Some(s)) => {
                let pick = |g: &[(&BTreeMap<String, f64>, f64)]| {
                    g.iter()
                        .filter_map(|(vals, w)| vals.get(name).map(|v| (s.to_search(*v), *w)))
                        .collect::<Vec<_>>()
                };
                let l = Numerical::new(&pick(&below), s.low, s.high, s.step, t.prior_weight);
                let g = Numerical::new(&pick(&above), s.low, s.high, s.step, t.prior_weight);
                let score = |x: f64| l.log_pdf(x) - g.log_pdf(x);
                let best = (0..t.n_ei_candidates)
                    .map(|_| s.snap(l.sample(rng)))
                    .max_by(|a, b| score(*a).total_cmp(&score(*b)));
                s.to_internal(best.unwrap_or((s.low + s.high) / 2.0))
            }
            _ => unreachable!("every non-categorical parameter has a scale"),
        };
        out.insert(name.clone(), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_weights_ramp_after_25() {
        assert_eq!(weights(3), vec![1.0; 3]);
        let w = weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-12 && w[4] == 1.0 && w[29] == 1.0 && w[1] > w[0]);
    }
}
