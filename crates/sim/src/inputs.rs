//! Input checks shared by the reference simulator and the kernel, so bad data fails loudly
//! instead of producing NaN equity.
use crate::{Actions, SimError, SimParams};
use tradelab_core::Bars;

/// Smallest and largest accepted price. The bounds keep every quantity the simulator computes a
/// normal positive number (no underflow to 0, no overflow to inf).
pub const MIN_PRICE: f64 = 1e-12;
pub const MAX_PRICE: f64 = 1e12;

/// Every bar must be finite with MIN_PRICE <= low <= open, close <= high <= MAX_PRICE and
/// volume >= 0: fills lie in [low, high] by construction only when that holds.
pub fn check_bars(bars: &Bars) -> Result<(), SimError> {
    if bars.is_empty() {
        return Err(SimError::EmptyBars);
    }
    bars.check_lengths().map_err(|e| SimError::InvalidBar {
        index: 0,
        reason: e.to_string(),
    })?;
    for i in 0..bars.len() {
        let (o, h, l, c, v) = (
            bars.open[i],
            bars.high[i],
            bars.low[i],
            bars.close[i],
            bars.volume[i],
        );
        let reason = if ![o, h, l, c, v].iter().all(|x| x.is_finite()) {
            "non-finite value"
        } else if !(MIN_PRICE..=MAX_PRICE).contains(&l) || !(MIN_PRICE..=MAX_PRICE).contains(&h) {
            "prices must lie in [1e-12, 1e12]"
        } else if !(l <= o && o <= h && l <= c && c <= h) {
            "open and close must lie within [low, high]"
        } else if v < 0.0 {
            "negative volume"
        } else {
            continue;
        };
        return Err(SimError::InvalidBar {
            index: i,
            reason: format!(
                "{reason} (ts {}, o {o} h {h} l {l} c {c} v {v})",
                tradelab_core::time::format_ms(bars.ts[i])
            ),
        });
    }
    Ok(())
}

pub fn check_inputs(bars: &Bars, actions: &Actions, params: &SimParams) -> Result<(), SimError> {
    check_bars(bars)?;
    actions.check_len(bars.len())?;
    params.validate()
}
