//! Pruners decide, after each intermediate value, whether a trial should stop.
use crate::spec::{Direction, PrunerSpec};
use crate::trial::{Trial, TrialState};

/// Should `trial` (which just reported `step`) stop? `others` are every other trial.
/// `rungs` are the successive-halving values recorded so far for each trial (by number).
pub fn should_prune(
    spec: &PrunerSpec,
    dir: Direction,
    trial: &Trial,
    step: u32,
    others: &[&Trial],
    rungs: &mut RungBook,
) -> bool {
    match *spec {
        PrunerSpec::None => false,
        PrunerSpec::Median {
            n_startup_trials,
            n_warmup_steps,
        } => {
            let Some(now) = trial.intermediate_at(step) else {
                return false;
            };
            if now.is_nan() {
                return true;
            }
            let complete: Vec<&&Trial> = others
                .iter()
                .filter(|t| t.state == TrialState::Complete)
                .collect();
            if (complete.len() as u32) < n_startup_trials || step < n_warmup_steps {
                return false;
            }
            let mut at: Vec<f64> = complete
                .iter()
                .filter_map(|t| t.intermediate_at(step))
                .map(|v| dir.loss(v))
                .collect();
            if at.is_empty() {
                return false;
            }
            at.sort_by(f64::total_cmp);
            let mid = at.len() / 2;
            let median = if at.len() % 2 == 1 {
                at[mid]
            } else {
                (at[mid - 1] + at[mid]) / 2.0
            };
            let best = trial
                .intermediate
                .iter()
                .filter(|(s, _)| *s <= step)
                .map(|(_, v)| dir.loss(*v))
                .fold(f64::INFINITY, f64::min);
            best > median
        }
        PrunerSpec::SuccessiveHalving {
            min_resource,
            reduction_factor,
            min_early_stopping_rate,
        } => {
            let Some(now) = trial.intermediate_at(step) else {
                return false;
            };
            let loss = dir.loss(now);
            loop {
                let rung = rungs.reached(trial.number);
                let promotion_step = (min_resource as u64).saturating_mul(
                    (reduction_factor as u64).saturating_pow(min_early_stopping_rate + rung as u32),
                );
                if (step as u64) < promotion_step {
                    return false;
                }
                rungs.record(trial.number, loss);
                let mut competing = rungs.values_at(rung);
                competing.sort_by(f64::total_cmp);
                let keep = (competing.len() / reduction_factor as usize).max(1);
                if loss > competing[keep - 1] {
                    return true;
                }
            }
        }
    }
}

/// Successive-halving rungs: for each trial, its loss at each rung it reached.
#[derive(Debug, Default, Clone)]
pub struct RungBook {
    by_trial: std::collections::BTreeMap<u32, Vec<f64>>,
}

impl RungBook {
    fn reached(&self, number: u32) -> usize {
        self.by_trial.get(&number).map_or(0, Vec::len)
    }
    fn record(&mut self, number: u32, loss: f64) {
        self.by_trial.entry(number).or_default().push(loss);
    }
    fn values_at(&self, rung: usize) -> Vec<f64> {
        self.by_trial
            .values()
            .filter_map(|v| v.get(rung).copied())
            .collect()
    }
}
