//! Comparison-based min/max used on every simulation path.
//!
//! `f64::min`/`max` ignore NaN, which costs three SIMD instructions each; these compile to one
//! (`minpd`/`maxpd`) and agree with them whenever neither operand is NaN. The reference and the
//! kernel both use them, so the two stay bit-identical by construction.

/// `a` if `a < b`, else `b`.
#[inline(always)]
pub fn fmin(a: f64, b: f64) -> f64 {
    if a < b {
        a
    } else {
        b
    }
}

/// `a` if `a > b`, else `b`.
#[inline(always)]
pub fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}
