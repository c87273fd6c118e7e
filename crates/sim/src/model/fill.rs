//! The fill rule: whether a bar's range reached a resting limit, and the fill price.
use crate::num::{fmax, fmin};
use crate::FillRule;

/// The default fill rule's buffer: 5 bps through the limit.
pub const DEFAULT_CROSS_BUFFER: f64 = 0.0005;

/// A fill rule as multipliers on the limit: a buy is reached when `low < limit × buy_mult`
/// (or `==` when `touch`), a sell when `high > limit × sell_mult` (or `==`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FillThresholds {
    pub buy_mult: f64,
    pub sell_mult: f64,
    /// Equality counts as a fill (touch: assumes front of the queue at exactly the limit).
    pub touch: bool,
}

impl FillRule {
    /// The thresholds every engine uses. `Cross { buffer: 0 }` is a strict trade-through, never
    /// a touch.
    pub fn thresholds(&self) -> FillThresholds {
        match *self {
            FillRule::Touch => FillThresholds {
                buy_mult: 1.0,
                sell_mult: 1.0,
                touch: true,
            },
            FillRule::Cross { buffer } => FillThresholds {
                buy_mult: 1.0 - buffer,
                sell_mult: 1.0 + buffer,
                touch: false,
            },
        }
    }

    /// The honest default: cross with a 5 bps buffer.
    pub fn honest_default() -> FillRule {
        FillRule::Cross {
            buffer: DEFAULT_CROSS_BUFFER,
        }
    }
}

impl FillThresholds {
    /// Whether a bar with this `low` fills a buy limit (limit 0 = no order, never reached).
    #[inline(always)]
    pub fn buy_reached(&self, low: f64, limit: f64) -> bool {
        if self.touch {
            low <= limit
        } else {
            low < limit * self.buy_mult
        }
    }

    /// Whether a bar with this `high` fills a sell limit (limit +inf = no order).
    #[inline(always)]
    pub fn sell_reached(&self, high: f64, limit: f64) -> bool {
        if self.touch {
            high >= limit
        } else {
            high > limit * self.sell_mult
        }
    }
}

/// A buy fills at the limit, or at the open when the bar opens below it.
#[inline(always)]
pub fn buy_price(open: f64, limit: f64) -> f64 {
    fmin(open, limit)
}

/// A sell fills at the limit, or at the open when the bar opens above it.
#[inline(always)]
pub fn sell_price(open: f64, limit: f64) -> f64 {
    fmax(open, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_zero_is_strict_and_touch_takes_equality() {
        let cross0 = FillRule::Cross { buffer: 0.0 }.thresholds();
        assert!(!cross0.buy_reached(100.0, 100.0));
        assert!(cross0.buy_reached(99.99, 100.0));
        let touch = FillRule::Touch.thresholds();
        assert!(touch.buy_reached(100.0, 100.0) && touch.sell_reached(100.0, 100.0));
        let c5 = FillRule::honest_default().thresholds();
        assert!(!c5.buy_reached(99.96, 100.0) && c5.buy_reached(99.94, 100.0));
        assert!(!c5.sell_reached(100.04, 100.0) && c5.sell_reached(100.06, 100.0));
    }

    #[test]
    fn prices_are_limit_or_better() {
        assert_eq!(buy_price(90.0, 100.0), 90.0);
        assert_eq!(buy_price(101.0, 100.0), 100.0);
        assert_eq!(sell_price(110.0, 100.0), 110.0);
        assert_eq!(sell_price(99.0, 100.0), 100.0);
    }
}
