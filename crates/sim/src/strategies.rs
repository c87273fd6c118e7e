//! Built-in rule strategies that turn bars into `Actions`.
//!
//! All are causal: row t is computed from bars 0..=t only (tested by truncating and altering the
//! future), and the simulator then fills it on bar t + lag.
//!
//! **Market-like orders through limits.** The simulator only knows limit orders. A crossover
//! that wants "buy now" posts a buy limit slightly above the decision close, close_t × (1 + slack).
//! On the next bar it fills at the open when the open is at or below that limit (better-on-gap =
//! a market order at the open), at the limit when the bar opens above it but trades down to it,
//! and not at all when the whole bar stays above it (a protected market order). Sells mirror this
//! with close_t × (1 − slack).
use crate::params::fmt_num;
use crate::{Actions, SimError};
use serde::{Deserialize, Serialize};
use tradelab_core::Bars;

fn default_slack() -> f64 {
    0.005
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum Strategy {
    /// Long while SMA(fast) > SMA(slow): every such bar posts a buy of all cash at
    /// close × (1 + slack); every bar with SMA(fast) < SMA(slow) posts a sell of all inventory at
    /// close × (1 − slack). No orders until `slow` bars exist.
    SmaCross {
        fast: usize,
        slow: usize,
        #[serde(default = "default_slack")]
        #[ts(as = "Option<f64>", optional)]
        slack: f64,
    },
    /// As `SmaCross` with EMAs (alpha = 2 / (window + 1), seeded with the first close).
    EmaCross {
        fast: usize,
        slow: usize,
        #[serde(default = "default_slack")]
        #[ts(as = "Option<f64>", optional)]
        slack: f64,
    },
    /// Resting band around the last close: buy `buy_frac` of cash at close × (1 − buy_offset),
    /// sell `sell_frac` of inventory at close × (1 + sell_offset), every bar.
    Band {
        buy_offset: f64,
        sell_offset: f64,
        buy_frac: f64,
        sell_frac: f64,
    },
}

impl Strategy {
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::InvalidStrategy(m));
        match *self {
            Strategy::SmaCross { fast, slow, slack } | Strategy::EmaCross { fast, slow, slack } => {
                if fast == 0 || fast >= slow {
                    return bad(format!(
                        "need 1 <= fast < slow, got fast {fast}, slow {slow}"
                    ));
                }
                if !(slack.is_finite() && (0.0..1.0).contains(&slack)) {
                    return bad(format!("slack must be in [0, 1), got {slack}"));
                }
            }
            Strategy::Band {
                buy_offset,
                sell_offset,
                buy_frac,
                sell_frac,
            } => {
                for (name, v) in [("buyOffset", buy_offset), ("sellOffset", sell_offset)] {
                    if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                        return bad(format!("{name} must be in [0, 1), got {v}"));
                    }
                }
                for (name, v) in [("buyFrac", buy_frac), ("sellFrac", sell_frac)] {
                    // A fraction of cash / inventory: above 1 used to be clamped without a word.
                    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                        return bad(format!("{name} must be in [0, 1], got {v}"));
                    }
                }
            }
        }
        Ok(())
    }

    /// Short name for tables, e.g. `ema 12/48`, `band 0.5%/0.5%`.
    pub fn label(&self) -> String {
        match self {
            Strategy::SmaCross { fast, slow, .. } => format!("sma {fast}/{slow}"),
            Strategy::EmaCross { fast, slow, .. } => format!("ema {fast}/{slow}"),
            Strategy::Band {
                buy_offset,
                sell_offset,
                ..
            } => {
                format!(
                    "band {}%/{}%",
                    fmt_num(buy_offset * 100.0),
                    fmt_num(sell_offset * 100.0)
                )
            }
        }
    }

    /// One action row per bar; row t uses bars 0..=t only.
    pub fn actions(&self, bars: &Bars) -> Result<Actions, SimError> {
        self.validate()?;
        let close = &bars.close;
        let n = close.len();
        let mut a = Actions::empty(n);
        match *self {
            Strategy::SmaCross { fast, slow, slack } => crossover(
                &mut a,
                close,
                &sma(close, fast),
                &sma(close, slow),
                slow,
                slack,
            ),
            Strategy::EmaCross { fast, slow, slack } => crossover(
                &mut a,
                close,
                &ema(close, fast),
                &ema(close, slow),
                slow,
                slack,
            ),
            Strategy::Band {
                buy_offset,
                sell_offset,
                buy_frac,
                sell_frac,
            } => {
                for (t, &c) in close.iter().enumerate() {
                    a.buy_price[t] = c * (1.0 - buy_offset);
                    a.sell_price[t] = c * (1.0 + sell_offset);
                    a.buy_frac[t] = buy_frac;
                    a.sell_frac[t] = sell_frac;
                }
            }
        }
        Ok(a)
    }
}

/// Moving averages computed once per distinct (kind, window) and shared by every strategy of a
/// sweep: a 40 × 25 EMA grid needs 65 series, not 2,000.
#[derive(Default)]
pub struct MaCache {
    series: std::collections::HashMap<(bool, usize), Vec<f64>>,
}

impl MaCache {
    /// Precomputes every average the strategies need (in parallel).
    pub fn for_strategies(strategies: &[Strategy], close: &[f64]) -> MaCache {
        use rayon::prelude::*;
        let mut keys: Vec<(bool, usize)> = strategies
            .iter()
            .flat_map(|s| match *s {
                Strategy::EmaCross { fast, slow, .. } => vec![(true, fast), (true, slow)],
                Strategy::SmaCross { fast, slow, .. } => vec![(false, fast), (false, slow)],
                Strategy::Band { .. } => vec![],
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let series = keys
            .into_par_iter()
            .map(|(is_ema, w)| {
                (
                    (is_ema, w),
                    if is_ema { ema(close, w) } else { sma(close, w) },
                )
            })
            .collect();
        MaCache { series }
    }

    fn get(&self, is_ema: bool, w: usize, close: &[f64]) -> std::borrow::Cow<'_, [f64]> {
        match self.series.get(&(is_ema, w)) {
            Some(v) => std::borrow::Cow::Borrowed(v.as_slice()),
            None => std::borrow::Cow::Owned(if is_ema { ema(close, w) } else { sma(close, w) }),
        }
    }
}

impl Strategy {
    /// As [`Strategy::actions`], taking moving averages from `cache` (identical results).
    pub fn actions_cached(&self, bars: &Bars, cache: &MaCache) -> Result<Actions, SimError> {
        let mut a = Actions::default();
        self.actions_into(bars, cache, &mut a)?;
        Ok(a)
    }

    /// As [`Strategy::actions_cached`], writing into `out` (buffers reused across a sweep).
    pub fn actions_into(
        &self,
        bars: &Bars,
        cache: &MaCache,
        out: &mut Actions,
    ) -> Result<(), SimError> {
        self.validate()?;
        let close = &bars.close;
        match *self {
            Strategy::SmaCross { fast, slow, slack } | Strategy::EmaCross { fast, slow, slack } => {
                let is_ema = matches!(self, Strategy::EmaCross { .. });
                out.reset(close.len());
                let (f, s) = (
                    cache.get(is_ema, fast, close),
                    cache.get(is_ema, slow, close),
                );
                crossover(out, close, &f, &s, slow, slack);
            }
            Strategy::Band { .. } => *out = self.actions(bars)?,
        }
        Ok(())
    }

    /// `actions_into` followed by `PreparedActions::fill_from`, fused: crossovers write the
    /// kernel's columns directly (one pass instead of four), which is most of a rule sweep's
    /// time. Same values, so the kernel's results are bit-identical.
    pub(crate) fn prepare_into(
        &self,
        bars: &Bars,
        cache: &MaCache,
        scratch: &mut Actions,
        out: &mut crate::kernel::PreparedActions,
    ) -> Result<(), SimError> {
        self.validate()?;
        let close = &bars.close;
        match *self {
            Strategy::SmaCross { fast, slow, slack } | Strategy::EmaCross { fast, slow, slack } => {
                let is_ema = matches!(self, Strategy::EmaCross { .. });
                let (f, s) = (
                    cache.get(is_ema, fast, close),
                    cache.get(is_ema, slow, close),
                );
                out.reset_no_orders(close.len());
                crossover_orders(close, &f, &s, slow, slack, |t, buy, price| {
                    if buy {
                        out.set_buy(t, price, 1.0)
                    } else {
                        out.set_sell(t, price, 1.0)
                    }
                });
            }
            Strategy::Band { .. } => {
                self.actions_into(bars, cache, scratch)?;
                out.fill_from(scratch);
            }
        }
        Ok(())
    }
}

/// The crossover rule, once: from the slow window on, fast above slow places a buy of all cash
/// at close x (1 + slack), fast below slow a sell of everything at close x (1 − slack).
/// `order(t, buy, price)` receives each order.
#[inline(always)]
fn crossover_orders(
    close: &[f64],
    fast: &[f64],
    slow: &[f64],
    warmup: usize,
    slack: f64,
    mut order: impl FnMut(usize, bool, f64),
) {
    for t in warmup.saturating_sub(1)..close.len() {
        if fast[t] > slow[t] {
            order(t, true, close[t] * (1.0 + slack));
        } else if fast[t] < slow[t] {
            order(t, false, close[t] * (1.0 - slack));
        }
    }
}

fn crossover(
    a: &mut Actions,
    close: &[f64],
    fast: &[f64],
    slow: &[f64],
    warmup: usize,
    slack: f64,
) {
    crossover_orders(close, fast, slow, warmup, slack, |t, buy, price| {
        if buy {
            a.buy_price[t] = price;
            a.buy_frac[t] = 1.0;
        } else {
            a.sell_price[t] = price;
            a.sell_frac[t] = 1.0;
        }
    });
}

/// Trailing simple moving average; entries before `w − 1` average what exists (unused: the
/// crossover waits for the slow window).
pub fn sma(x: &[f64], w: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    let mut sum = 0.0;
    for t in 0..x.len() {
        sum += x[t];
        if t >= w {
            sum -= x[t - w];
        }
        out.push(sum / (t + 1).min(w) as f64);
    }
    out
}

/// Exponential moving average, alpha = 2 / (w + 1), seeded with the first value.
pub fn ema(x: &[f64], w: usize) -> Vec<f64> {
    let alpha = 2.0 / (w as f64 + 1.0);
    let mut out = Vec::with_capacity(x.len());
    let mut e = x.first().copied().unwrap_or(0.0);
    for &v in x {
        e += alpha * (v - e);
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_averages_by_hand() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(sma(&x, 2), vec![1.0, 1.5, 2.5, 3.5]);
        let e = ema(&x, 3); // alpha 0.5
        assert_eq!(e, vec![1.0, 1.5, 2.25, 3.125]);
    }

    #[test]
    fn fused_prepare_equals_actions_then_fill_from() {
        let mut b = Bars::with_capacity(500);
        let mut x = 100.0_f64;
        for i in 0..500 {
            let o = x;
            x *= 1.0 + 0.02 * (((i * 7919) % 1000) as f64 / 1000.0 - 0.5);
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(o);
            b.close.push(x);
            b.high.push(o.max(x) * 1.003);
            b.low.push(o.min(x) * 0.997);
            b.volume.push(10.0);
        }
        let strategies = [
            Strategy::EmaCross {
                fast: 3,
                slow: 20,
                slack: 0.002,
            },
            Strategy::SmaCross {
                fast: 5,
                slow: 40,
                slack: 0.0,
            },
            Strategy::Band {
                buy_offset: 0.01,
                sell_offset: 0.02,
                buy_frac: 0.5,
                sell_frac: 1.0,
            },
        ];
        let cache = MaCache::for_strategies(&strategies, &b.close);
        let mut scratch = Actions::default();
        let mut fused = crate::kernel::PreparedActions::new(&Actions::default());
        for s in &strategies {
            s.prepare_into(&b, &cache, &mut scratch, &mut fused)
                .unwrap();
            let a = s.actions(&b).unwrap();
            assert_eq!(fused, crate::kernel::PreparedActions::new(&a), "{s:?}");
        }
    }

    #[test]
    fn crossover_orders() {
        let mut b = Bars::with_capacity(6);
        for (i, c) in [10.0, 10.0, 10.0, 12.0, 8.0, 6.0].into_iter().enumerate() {
            b.ts.push(i as i64);
            b.open.push(c);
            b.high.push(c);
            b.low.push(c);
            b.close.push(c);
            b.volume.push(1.0);
        }
        let a = Strategy::SmaCross {
            fast: 1,
            slow: 3,
            slack: 0.01,
        }
        .actions(&b)
        .unwrap();
        // t=2: equal → nothing; t=3: 12 > 10.67 → buy; t=4: 8 < 10 → sell.
        assert!(a.buy_order(2).is_none() && a.sell_order(2).is_none());
        assert_eq!(a.buy_order(3).unwrap().price, 12.0 * 1.01);
        assert_eq!(a.sell_order(4).unwrap().price, 8.0 * 0.99);
        assert!(a.buy_order(1).is_none() && a.sell_order(1).is_none());
    }

    #[test]
    fn validation_and_json() {
        assert!(Strategy::EmaCross {
            fast: 5,
            slow: 5,
            slack: 0.0
        }
        .validate()
        .is_err());
        assert!(Strategy::Band {
            buy_offset: -0.1,
            sell_offset: 0.0,
            buy_frac: 1.0,
            sell_frac: 1.0
        }
        .validate()
        .is_err());
        let s: Strategy =
            serde_json::from_str(r#"{"kind":"emaCross","fast":12,"slow":48}"#).unwrap();
        assert_eq!(
            s,
            Strategy::EmaCross {
                fast: 12,
                slow: 48,
                slack: 0.005
            }
        );
        let b: Strategy = serde_json::from_str(
            r#"{"kind":"band","buyOffset":0.01,"sellOffset":0.02,"buyFrac":1,"sellFrac":0.5}"#,
        )
        .unwrap();
        assert_eq!(b.label(), "band 1%/2%");
    }

    #[test]
    fn cached_averages_give_identical_actions() {
        let mut b = Bars::with_capacity(500);
        for i in 0..500 {
            let c = 100.0 + 10.0 * ((i as f64) * 0.07).sin();
            b.ts.push(i as i64 * 3_600_000);
            b.open.push(c);
            b.high.push(c + 1.0);
            b.low.push(c - 1.0);
            b.close.push(c);
            b.volume.push(1.0);
        }
        let strategies = vec![
            Strategy::EmaCross {
                fast: 3,
                slow: 20,
                slack: 0.01,
            },
            Strategy::SmaCross {
                fast: 5,
                slow: 40,
                slack: 0.0,
            },
            Strategy::EmaCross {
                fast: 7,
                slow: 20,
                slack: 0.5,
            },
        ];
        let cache = MaCache::for_strategies(&strategies[..2], &b.close);
        for s in &strategies {
            let (a, c) = (
                s.actions(&b).unwrap(),
                s.actions_cached(&b, &cache).unwrap(),
            );
            for v in [
                (&a.buy_price, &c.buy_price),
                (&a.sell_price, &c.sell_price),
                (&a.buy_frac, &c.buy_frac),
                (&a.sell_frac, &c.sell_frac),
            ] {
                assert!(v.0.iter().zip(v.1).all(|(x, y)| x.to_bits() == y.to_bits()));
            }
        }
    }
}
