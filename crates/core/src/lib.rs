//! tradelab-core: the types every other crate speaks.
//!
//! Bars are stored as a structure of arrays (`Bars`) because every consumer (store, features,
//! simulator kernels) walks columns, not rows.

pub mod bars;
pub mod error;
pub mod folds;
pub mod gaps;
pub mod interval;
pub mod splits;
pub mod symbol;
pub mod time;
pub mod validate;

pub use bars::Bars;
pub use error::{CoreError, ErrorCode};
pub use gaps::{GapReport, GapSpan};
pub use interval::Interval;
pub use symbol::Symbol;
pub use validate::{validate_bars, Violation};

/// Quotes at most `max` characters of user text in a message (a 50 MB cell must not become a
/// 50 MB error): longer text is cut and says how long it was.
pub fn cap_text(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head}… ({n} characters)")
}
