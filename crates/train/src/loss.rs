//! Training objective per window (seed §5.7), on the one Sortino definition of
//! `tradelab_sim::metrics` (mean / downside RMS over ALL periods × √P) plus a small ε so the
//! gradient exists when a window has no losing bar:
//!   sortino = mean(r) / sqrt(mean(min(r,0)²) + ε) · √P,
//!   loss    = −mean over windows of (sortino + λ · mean(r) · P).
//! The return term is annualised arithmetically (mean·P) as in the seed, so λ = 0.08 weighs it
//! like the seed's `return_weight`.
use tch::{Kind, Tensor};

pub const DOWNSIDE_EPS: f64 = 1e-8;

#[derive(Debug)]
pub struct LossParts {
    pub loss: Tensor,
    /// Mean soft Sortino over the batch (no grad needed; for logging).
    pub sortino: Tensor,
    pub mean_return: Tensor,
}

/// `returns`: [B, N] per-bar returns of each window.
pub fn sortino_loss(returns: &Tensor, periods_per_year: f64, return_weight: f64) -> LossParts {
    let mean = returns.mean_dim(1, false, Kind::Float);
    let down = returns
        .clamp_max(0.0)
        .square()
        .mean_dim(1, false, Kind::Float);
    let sortino = &mean / (down + DOWNSIDE_EPS).sqrt() * periods_per_year.sqrt();
    let score = &sortino + &mean * (periods_per_year * return_weight);
    LossParts {
        loss: -score.mean(Kind::Float),
        sortino: sortino.mean(Kind::Float),
        mean_return: mean.mean(Kind::Float),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_metrics_definition() {
        let r = [0.01, -0.02, 0.005, 0.0, 0.015];
        let t = Tensor::from_slice(&r).view([1, 5]);
        let parts = sortino_loss(&t, 8760.0, 0.0);
        let m = tradelab_sim::curve_metrics(
            1.0,
            &{
                let mut v = 1.0;
                r.iter()
                    .map(|x| {
                        v *= 1.0 + x;
                        v
                    })
                    .collect::<Vec<_>>()
            },
            8760.0,
        );
        let s = f64::try_from(parts.sortino).unwrap();
        assert!(
            (s - m.sortino).abs() < 1e-3 * m.sortino.abs(),
            "{s} vs {}",
            m.sortino
        );
        assert!((f64::try_from(parts.loss).unwrap() + s).abs() < 1e-9);
    }
}
