//! tradelab-core: the types every other crate speaks.
//!
//! Bars are stored as a structure of arrays (`Bars`) because every consumer (store, features,
//! simulator kernels) walks columns, not rows.

pub mod bars;
pub mod error;
pub mod gaps;
pub mod interval;
pub mod symbol;
pub mod time;
pub mod validate;

pub use bars::Bars;
pub use error::CoreError;
pub use gaps::{GapReport, GapSpan};
pub use interval::Interval;
pub use symbol::Symbol;
pub use validate::{validate_bars, Violation};
