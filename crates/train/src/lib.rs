//! tradelab-train: causal limit-order policies trained through a differentiable version of the
//! simulator contract, evaluated with the exact simulator (`tradelab_sim::simulate`).
//!
//! Pipeline: bars (store) → causal features → normaliser fitted on the training split →
//! windows → [`model::Policy`] → [`decode`] → [`diffsim`] → [`loss`] (training) or
//! `tradelab_sim::simulate` (every evaluation). See `crates/train/README.md`.
pub mod config;
pub mod decode;
pub mod diffsim;
pub mod error;
pub mod events;
pub mod loss;
pub mod model;
pub mod optim;
pub mod rng;

pub use error::{Result, TrainError};
