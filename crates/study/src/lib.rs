//! Hyperparameter studies: a search space, a sampler that proposes trials (univariate TPE as
//! Optuna does it, random, grid) and a pruner that stops bad trials on their intermediate values
//! (median, successive halving / ASHA), driven by ask / tell / report. The objective is run by
//! the caller (TS: backtests, trainer runs, BullMQ workers); this crate only decides what to try.
pub mod error;
mod parzen;
pub mod pruner;
pub mod sampler;
pub mod space;
pub mod spec;
pub mod study;
pub mod trial;
pub mod types;

pub use error::StudyError;
pub use space::{Param, Space};
pub use spec::{Direction, PrunerSpec, SamplerSpec, StudySpec};
pub use study::Study;
pub use trial::{Asked, Outcome, Summary, Trial, TrialState};
