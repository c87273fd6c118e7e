//! The volume cap: a bar's total filled quantity (every fill of that instrument on that bar,
//! sells first) stays within `fraction × bar volume`. A zero-volume bar then fills nothing.

/// Quantity the bar can still fill, or +inf without a cap.
#[inline(always)]
pub fn capacity(max_volume_fraction: Option<f64>, bar_volume: f64) -> f64 {
    max_volume_fraction.map_or(f64::INFINITY, |f| f * bar_volume)
}
