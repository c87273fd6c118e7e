//! Flat means flat. A sell whose effective fraction (after intensity, clamped to 1) is at least
//! `1 − SELL_ALL_TOLERANCE` sells the whole position held at the open, so no dust remainder is
//! left behind. Without it a policy whose sell fraction is a sigmoid (≤ 0.9999939) never goes
//! flat: exposure stays near 100 %, round trips and win rate stay 0 and max-hold never resets.
//! The snap happens before the volume cap: a capped sell can still leave a real remainder.

/// Sell fractions within this distance of 1 count as "sell everything" (0.01 % of the position).
pub const SELL_ALL_TOLERANCE: f64 = 1e-4;

/// The effective sell fraction after the dust rule.
#[inline(always)]
pub fn snap_sell_frac(frac: f64) -> f64 {
    if frac >= 1.0 - SELL_ALL_TOLERANCE {
        1.0
    } else {
        frac
    }
}
