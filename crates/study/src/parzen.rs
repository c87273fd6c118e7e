//! Univariate Parzen estimators as Optuna's TPE builds them: a mixture of truncated normals
//! (numbers, on the log scale when the parameter is) or a smoothed histogram (categoricals),
//! each with a prior component so that an estimator from few observations stays broad.
use rand::Rng;
use statrs::function::erf::erf;
use std::f64::consts::{PI, SQRT_2};

fn phi(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / SQRT_2))
}

/// A mixture of normals truncated to `[low, high]`. Discrete parameters (`step`) get the
/// probability mass of their cell `x ± step/2` instead of a density.
pub struct Numerical {
    low: f64,
    high: f64,
    step: Option<f64>,
    mus: Vec<f64>,
    sigmas: Vec<f64>,
    /// Normalised weights.
    weights: Vec<f64>,
}

impl Numerical {
    /// `obs`: (value on the search scale, weight). Bandwidths: the larger gap to a sorted
    /// neighbour (bounds at the ends), clipped to `[range / min(100, 1 + n), range]` (Optuna's
    /// "magic clip"); the prior sits mid-range with the range as its sigma.
    pub fn new(
        obs: &[(f64, f64)],
        low: f64,
        high: f64,
        step: Option<f64>,
        prior_weight: f64,
    ) -> Self {
        let range = high - low;
        let mut pts: Vec<(f64, f64, bool)> = obs.iter().map(|&(m, w)| (m, w, false)).collect();
        pts.push(((low + high) / 2.0, prior_weight, true));
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = pts.len();
        let min_sigma = range / (100f64).min(1.0 + n as f64);
        let mut mus = Vec::with_capacity(n);
        let mut sigmas = Vec::with_capacity(n);
        let mut weights = Vec::with_capacity(n);
        for i in 0..n {
            let (m, w, prior) = pts[i];
            let left = if i == 0 { m - low } else { m - pts[i - 1].0 };
            let right = if i + 1 == n {
                high - m
            } else {
                pts[i + 1].0 - m
            };
            let s = if prior {
                range
            } else {
                left.max(right)
                    .clamp(min_sigma.max(1e-12), range.max(1e-12))
            };
            mus.push(m);
            sigmas.push(if range > 0.0 { s } else { 1.0 });
            weights.push(w);
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        Numerical {
            low,
            high,
            step,
            mus,
            sigmas,
            weights,
        }
    }

    fn pick(&self, rng: &mut impl Rng) -> usize {
        let mut u: f64 = rng.gen();
        for (i, w) in self.weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        self.weights.len() - 1
    }

    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        if self.high <= self.low {
            return self.low;
        }
        let i = self.pick(rng);
        // Rejection sampling: every kernel keeps a fair share of its mass inside the bounds
        // (sigma <= range, centre inside), so this rarely loops.
        for _ in 0..256 {
            let z = normal(rng);
            let x = self.mus[i] + self.sigmas[i] * z;
            if x >= self.low && x <= self.high {
                return x;
            }
        }
        rng.gen_range(self.low..=self.high)
    }

    /// Log density (or log mass of the cell, for stepped parameters) at `x`.
    pub fn log_pdf(&self, x: f64) -> f64 {
        let mut p = 0.0;
        for ((&m, &s), &w) in self.mus.iter().zip(&self.sigmas).zip(&self.weights) {
            let z = phi((self.high - m) / s) - phi((self.low - m) / s);
            if z <= 0.0 {
                continue;
            }
            let v = match self.step {
                Some(st) => {
                    let a = (x - st / 2.0).max(self.low);
                    let b = (x + st / 2.0).min(self.high);
                    phi((b - m) / s) - phi((a - m) / s)
                }
                None => (-(x - m).powi(2) / (2.0 * s * s)).exp() / (s * (2.0 * PI).sqrt()),
            };
            p += w * v / z;
        }
        p.max(1e-300).ln()
    }
}

/// Standard normal draw (Box-Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

/// A smoothed histogram over `k` choices: `prior_weight / k` plus each observation's weight.
pub struct Categorical {
    probs: Vec<f64>,
}

impl Categorical {
    pub fn new(obs: &[(usize, f64)], k: usize, prior_weight: f64) -> Self {
        let mut probs = vec![prior_weight / k as f64; k];
        for &(c, w) in obs {
            if c < k {
                probs[c] += w;
            }
        }
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        Categorical { probs }
    }

    pub fn sample(&self, rng: &mut impl Rng) -> usize {
        let mut u: f64 = rng.gen();
        for (i, p) in self.probs.iter().enumerate() {
            if u < *p {
                return i;
            }
            u -= p;
        }
        self.probs.len() - 1
    }

    pub fn log_pmf(&self, c: usize) -> f64 {
        self.probs.get(c).copied().unwrap_or(0.0).max(1e-300).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_numerical_estimator_concentrates_near_its_observations_and_stays_in_bounds() {
        let obs: Vec<(f64, f64)> = [2.0, 2.1, 1.9, 2.05].iter().map(|&x| (x, 1.0)).collect();
        let e = Numerical::new(&obs, 0.0, 10.0, None, 1.0);
        assert!(e.log_pdf(2.0) > e.log_pdf(8.0));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let xs: Vec<f64> = (0..2000).map(|_| e.sample(&mut rng)).collect();
        assert!(xs.iter().all(|x| (0.0..=10.0).contains(x)));
        let near = xs.iter().filter(|x| (1.0..3.0).contains(*x)).count();
        assert!(
            near > 700,
            "{near} of 2000 near the observations (uniform: 400)"
        );
        // A density integrates to ~1 over the bounds.
        let mass: f64 = (0..10000)
            .map(|i| e.log_pdf((i as f64 + 0.5) / 1000.0).exp() / 1000.0)
            .sum();
        assert!((mass - 1.0).abs() < 0.02, "{mass}");
    }

    #[test]
    fn stepped_masses_sum_to_one() {
        let e = Numerical::new(&[(3.0, 1.0)], -0.5, 9.5, Some(1.0), 1.0);
        let mass: f64 = (0..10).map(|x| e.log_pdf(x as f64).exp()).sum();
        assert!((mass - 1.0).abs() < 1e-9, "{mass}");
    }

    #[test]
    fn categorical_weights_follow_observations() {
        let e = Categorical::new(&[(1, 1.0), (1, 1.0), (0, 1.0)], 3, 1.0);
        assert!(e.log_pmf(1) > e.log_pmf(0) && e.log_pmf(0) > e.log_pmf(2));
    }
}
