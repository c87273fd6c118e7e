//! How much a sweep's best row owes to having tried many rows.
//!
//! - Deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014): the
//!   probability that the best row's true Sharpe is above the Sharpe expected from the best of N
//!   trials with no skill, corrected for the best row's skew and kurtosis and the sample length.
//! - Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey,
//!   Borwein, López de Prado & Zhu, "The Probability of Backtest Overfitting", 2016): split the
//!   bars into S blocks; for every half of the blocks, pick the best row in-sample and see where
//!   it ranks out-of-sample. PBO = the share of splits where it ranks in the bottom half.
//!
//! All Sharpe ratios here are per period (not annualised), as in both papers.
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// Euler–Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

fn std_normal() -> Normal {
    // Mean 0, sd 1 is always a valid normal.
    Normal::new(0.0, 1.0).unwrap_or_else(|_| unreachable!())
}

/// Expected maximum Sharpe ratio of `n` skill-less trials whose Sharpe ratios have variance
/// `var_sr` (the paper's SR0, eq. for E[max]).
pub fn expected_max_sharpe(var_sr: f64, n: usize) -> f64 {
    if n < 2 || var_sr.is_nan() || var_sr <= 0.0 {
        return 0.0;
    }
    let z = std_normal();
    let n = n as f64;
    var_sr.sqrt()
        * ((1.0 - EULER_GAMMA) * z.inverse_cdf(1.0 - 1.0 / n)
            + EULER_GAMMA * z.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// The probabilistic Sharpe ratio of an observed per-period Sharpe `sr` against the benchmark
/// `sr0`, over `t` returns with skewness `skew` and (non-excess) kurtosis `kurt`.
pub fn probabilistic_sharpe(sr: f64, sr0: f64, t: usize, skew: f64, kurt: f64) -> f64 {
    let denom = 1.0 - skew * sr + (kurt - 1.0) / 4.0 * sr * sr;
    if t < 2 || denom.is_nan() || denom <= 0.0 {
        return f64::NAN;
    }
    std_normal().cdf((sr - sr0) * ((t - 1) as f64).sqrt() / denom.sqrt())
}

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeflatedSharpe {
    /// P(true Sharpe of the best row > SR0): below 0.95 the best row is not significant.
    pub dsr: f64,
    /// The best row's per-period Sharpe and the one expected from the best of N skill-less rows.
    pub sharpe: f64,
    pub expected_max_sharpe: f64,
    #[ts(type = "number")]
    pub trials: u64,
    #[ts(type = "number")]
    pub returns: u64,
    pub skew: f64,
    pub kurtosis: f64,
}

/// Deflated Sharpe of the best of `trial_sharpes` (per period), whose return series had `t`
/// returns with `skew` and `kurt` (non-excess).
pub fn deflated_sharpe(
    best_sharpe: f64,
    trial_sharpes: &[f64],
    t: usize,
    skew: f64,
    kurt: f64,
) -> DeflatedSharpe {
    let finite: Vec<f64> = trial_sharpes
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .collect();
    let n = finite.len();
    let var = if n > 1 {
        let m = finite.iter().sum::<f64>() / n as f64;
        finite.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let sr0 = expected_max_sharpe(var, n);
    DeflatedSharpe {
        dsr: probabilistic_sharpe(best_sharpe, sr0, t, skew, kurt),
        sharpe: best_sharpe,
        expected_max_sharpe: sr0,
        trials: n as u64,
        returns: t as u64,
        skew,
        kurtosis: kurt,
    }
}

/// Per-period returns of an equity curve starting from `start`.
pub fn returns(start: f64, equity: &[f64]) -> Vec<f64> {
    let mut prev = start;
    equity
        .iter()
        .map(|&e| {
            let r = if prev != 0.0 { e / prev - 1.0 } else { 0.0 };
            prev = e;
            r
        })
        .collect()
}

/// (per-period Sharpe with ddof 1, skewness, non-excess kurtosis) of `r`.
pub fn moments(r: &[f64]) -> (f64, f64, f64) {
    let n = r.len() as f64;
    if r.len() < 2 {
        return (0.0, 0.0, 3.0);
    }
    let m = r.iter().sum::<f64>() / n;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &x in r {
        let d = x - m;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    let (m2, m3, m4) = (m2 / n, m3 / n, m4 / n);
    if m2 <= 0.0 {
        return (0.0, 0.0, 3.0);
    }
    let sd1 = (m2 * n / (n - 1.0)).sqrt();
    (m / sd1, m3 / m2.powf(1.5), m4 / (m2 * m2))
}

/// Sufficient statistics of one row's returns in each of S blocks: (count, sum, sum of squares).
/// The kernel's per-row output (`tradelab_sim::ReturnBlocks`); `BlockStats::of` splits a
/// re-simulated return series the same way.
pub use tradelab_sim::ReturnBlocks as BlockStats;

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Pbo {
    /// Share of the C(S, S/2) splits whose in-sample best row ranks at or below the median
    /// out-of-sample (logit ≤ 0). Near 0: the selection generalises; 0.5 or more: it does not.
    pub pbo: f64,
    #[ts(type = "number")]
    pub blocks: u64,
    #[ts(type = "number")]
    pub splits: u64,
    #[ts(type = "number")]
    pub trials: u64,
    /// Mean out-of-sample relative rank of the in-sample best (0..1, 0.5 = no better than chance).
    pub mean_oos_rank: f64,
}

/// PBO by CSCV over rows' block statistics (all with the same `s` = even blocks, s ≤ 20).
pub fn pbo_cscv(rows: &[BlockStats]) -> Option<Pbo> {
    use rayon::prelude::*;
    let s = rows.first()?.n.len();
    if rows.len() < 2 || s < 2 || s % 2 != 0 || s > 20 {
        return None;
    }
    let n = rows.len();
    let full: u32 = (1u32 << s) - 1;
    // Each row's (count, sum, sum of squares) over any block subset is a low-half table entry
    // plus a high-half one: O(1) per (split, row) instead of O(S) with a branch per block, so a
    // 1,000-row sweep's 12,870 splits take milliseconds.
    let tables: Vec<HalfTables> = rows.iter().map(|r| HalfTables::of(r, s / 2)).collect();
    let masks: Vec<u32> = (0..=full)
        .filter(|m| m.count_ones() as usize == s / 2)
        .collect();
    // Per split, in mask order (summed in that order below: the same result on any thread count).
    let ws: Vec<f64> = masks
        .par_iter()
        .map_init(
            || vec![0.0; n],
            |oos, &is_mask| {
                let oos_mask = full & !is_mask;
                let mut best = 0;
                let mut best_is = f64::NEG_INFINITY;
                for (i, t) in tables.iter().enumerate() {
                    let v = t.sharpe(is_mask);
                    if v > best_is {
                        best_is = v;
                        best = i;
                    }
                    oos[i] = t.sharpe(oos_mask);
                }
                // Rank 1..n of the chosen row out-of-sample (ties count half).
                let x = oos[best];
                let less = oos.iter().filter(|&&v| v < x).count() as f64;
                let equal = oos.iter().filter(|&&v| v == x).count() as f64;
                let rank = less + (equal + 1.0) / 2.0;
                rank / (n as f64 + 1.0)
            },
        )
        .collect();
    let below = ws.iter().filter(|&&w| (w / (1.0 - w)).ln() <= 0.0).count() as u64;
    let splits = ws.len() as u64;
    let rank_sum: f64 = ws.iter().sum();
    Some(Pbo {
        pbo: below as f64 / splits as f64,
        blocks: s as u64,
        splits,
        trials: n as u64,
        mean_oos_rank: rank_sum / splits as f64,
    })
}

/// A row's block statistics summed over every subset of the low `lo_bits` blocks and every
/// subset of the rest: (count, sum, sum of squares) per subset.
struct HalfTables {
    lo_bits: u32,
    lo: Vec<[f64; 3]>,
    hi: Vec<[f64; 3]>,
}

impl HalfTables {
    fn of(r: &BlockStats, lo_bits: usize) -> HalfTables {
        let table = |first: usize, bits: usize| -> Vec<[f64; 3]> {
            (0..1usize << bits)
                .map(|m| {
                    let mut acc = [0.0; 3];
                    for k in 0..bits {
                        if m & (1 << k) != 0 {
                            acc[0] += r.n[first + k];
                            acc[1] += r.sum[first + k];
                            acc[2] += r.sumsq[first + k];
                        }
                    }
                    acc
                })
                .collect()
        };
        let s = r.n.len();
        HalfTables {
            lo_bits: lo_bits as u32,
            lo: table(0, lo_bits),
            hi: table(lo_bits, s - lo_bits),
        }
    }

    /// Per-period Sharpe (ddof 1) over the blocks where `mask` bit k is set.
    fn sharpe(&self, mask: u32) -> f64 {
        let a = self.lo[(mask & ((1 << self.lo_bits) - 1)) as usize];
        let b = self.hi[(mask >> self.lo_bits) as usize];
        let (n, s, q) = (a[0] + b[0], a[1] + b[1], a[2] + b[2]);
        if n < 2.0 {
            return 0.0;
        }
        let mean = s / n;
        let var = (q - n * mean * mean) / (n - 1.0);
        if var > 0.0 {
            mean / var.sqrt()
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paper's numerical example: N = 100 trials with annualised Sharpe variance 1/2, best
    /// annualised Sharpe 2.5 over T = 1250 daily returns (250 a year), skew −3, kurtosis 10.
    /// The paper reports E[max SR] ≈ 0.1132 per day and DSR ≈ 0.9004.
    #[test]
    fn deflated_sharpe_matches_the_papers_worked_example() {
        let sr0 = expected_max_sharpe(0.5 / 250.0, 100);
        assert!((sr0 - 0.1132).abs() < 5e-5, "SR0 {sr0}");
        let dsr = probabilistic_sharpe(2.5 / 250f64.sqrt(), sr0, 1250, -3.0, 10.0);
        assert!((dsr - 0.9004).abs() < 5e-4, "DSR {dsr}");
    }

    #[test]
    fn deflated_sharpe_from_trials_uses_their_variance() {
        // Trials whose sample variance is exactly 0.5/250: ±a around 0 with a² = 0.5/250·(n−1)/n.
        let n = 100;
        let a = (0.5 / 250.0 * (n as f64 - 1.0) / n as f64).sqrt();
        let trials: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { a } else { -a }).collect();
        let d = deflated_sharpe(2.5 / 250f64.sqrt(), &trials, 1250, -3.0, 10.0);
        assert!((d.expected_max_sharpe - 0.1132).abs() < 5e-5);
        assert!((d.dsr - 0.9004).abs() < 5e-4);
        assert_eq!(d.trials, 100);
    }

    #[test]
    fn moments_of_a_known_sample() {
        let r = [0.01, -0.02, 0.03, 0.0, 0.01];
        let (sr, skew, kurt) = moments(&r);
        let m = 0.006;
        let sd = (r.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 4.0).sqrt();
        assert!((sr - m / sd).abs() < 1e-12);
        assert!(skew.is_finite() && kurt > 1.0);
    }

    /// Pure-noise trials: the in-sample winner is a random draw out-of-sample, PBO near 0.5. A
    /// trial with a real edge in every block: PBO 0.
    /// Uniform draws in [-0.5, 0.5) from a xorshift generator.
    fn xorshift(mut seed: u64) -> impl FnMut() -> f64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        }
    }

    #[test]
    fn pbo_is_about_a_half_for_noise_and_zero_for_a_real_edge() {
        let mut rnd = xorshift(1);
        let noise: Vec<BlockStats> = (0..40)
            .map(|_| BlockStats::of(&(0..1600).map(|_| rnd() * 0.01).collect::<Vec<_>>(), 16))
            .collect();
        let p = pbo_cscv(&noise).unwrap();
        assert_eq!(p.splits, 12_870);
        assert!((p.pbo - 0.5).abs() < 0.25, "noise PBO {}", p.pbo);
        let mut edge = noise.clone();
        edge[7] = BlockStats::of(
            &(0..1600).map(|_| rnd() * 0.01 + 0.004).collect::<Vec<_>>(),
            16,
        );
        let p = pbo_cscv(&edge).unwrap();
        assert_eq!(p.pbo, 0.0);
        assert!(p.mean_oos_rank > 0.95);
    }

    /// The half-table Sharpe equals summing the selected blocks one by one (what CSCV defines).
    #[test]
    fn half_tables_give_each_subsets_sharpe() {
        let mut rnd = xorshift(9);
        let r: Vec<f64> = (0..997).map(|_| rnd() * 0.01).collect();
        let b = BlockStats::of(&r, 16);
        let t = HalfTables::of(&b, 8);
        for mask in [0x00ffu32, 0xff00, 0xaaaa, 0x5555, 0x0f0f, 0x1234 | 0x8001] {
            let pick: Vec<f64> = r
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i * 16 / r.len())) != 0)
                .map(|(_, &x)| x)
                .collect();
            let n = pick.len() as f64;
            let mean = pick.iter().sum::<f64>() / n;
            let var = pick.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
            let want = mean / var.sqrt();
            assert!(
                (t.sharpe(mask) - want).abs() < 1e-9 * want.abs().max(1.0),
                "mask {mask:#x}"
            );
        }
    }
}
