//! Quantiles over the last `cap` values pushed (a sorted buffer plus insertion order). Push and
//! evict are a binary search plus one memmove of at most `cap` floats.
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct RollingQuantiles {
    cap: usize,
    order: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl RollingQuantiles {
    pub fn new(cap: usize) -> Self {
        RollingQuantiles {
            cap: cap.max(1),
            order: VecDeque::with_capacity(cap + 1),
            sorted: Vec::with_capacity(cap + 1),
        }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn clear(&mut self) {
        self.order.clear();
        self.sorted.clear();
    }

    /// Adds a finite value, evicting the oldest when full. Non-finite values are ignored.
    pub fn push(&mut self, v: f64) {
        if !v.is_finite() {
            return;
        }
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                let i = self.sorted.partition_point(|x| *x < old);
                self.sorted.remove(i);
            }
        }
        self.order.push_back(v);
        let i = self.sorted.partition_point(|x| *x < v);
        self.sorted.insert(i, v);
    }

    /// Linear-interpolated quantile (pandas/numpy default, "type 7"); NaN when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.sorted.len();
        if n == 0 {
            return f64::NAN;
        }
        let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        let w = pos - lo as f64;
        self.sorted[lo] + (self.sorted[hi] - self.sorted[lo]) * w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_sorting_the_window() {
        let mut r = RollingQuantiles::new(50);
        let xs: Vec<f64> = (0..500)
            .map(|i| ((i * 7919) % 613) as f64 * 0.01 - 3.0)
            .collect();
        for (i, &x) in xs.iter().enumerate() {
            r.push(x);
            let lo = (i + 1).saturating_sub(50);
            let mut w = xs[lo..=i].to_vec();
            w.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let pos = 0.9 * (w.len() - 1) as f64;
            let (a, b) = (
                w[pos.floor() as usize],
                w[(pos.floor() as usize + 1).min(w.len() - 1)],
            );
            assert!((r.quantile(0.9) - (a + (b - a) * (pos - pos.floor()))).abs() < 1e-12);
        }
        assert_eq!(r.len(), 50);
        r.push(f64::NAN);
        assert_eq!(r.len(), 50);
    }
}
