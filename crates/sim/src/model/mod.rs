//! One model per concern, in one place. The reference `step`, the lockstep kernel and the
//! differentiable simulator in `crates/train` all take their rules from here, so they cannot
//! drift apart (the fill rule used to be written four times, and the copies disagreed).
//!
//! * [`fill`]: when a resting limit order fills ([`FillRule`](crate::FillRule) thresholds) and at
//!   what price (the limit, or better when the bar opens through it);
//! * [`fee`]: maker/taker fees per instrument;
//! * [`volume`]: the per-bar volume cap;
//! * [`flat`]: the dust rule that makes a full sell leave exactly zero;
//! * [`funding`]: perpetual funding payments and their sign;
//! * [`financing`]: margin interest on borrowed cash and borrow cost of spot shorts.
pub mod fee;
pub mod fill;
pub mod financing;
pub mod flat;
pub mod funding;
pub mod volume;

pub use fee::Fees;
pub use fill::{FillThresholds, DEFAULT_CROSS_BUFFER};
