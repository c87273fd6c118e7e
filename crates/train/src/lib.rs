//! tradelab-train: causal limit-order policies trained through a differentiable version of the
//! simulator contract, evaluated with the exact simulator (`tradelab_sim::simulate`).
//!
//! Pipeline: bars (store) → causal features ([`tradelab_features`]) → normaliser fitted on the
//! training split → windows ([`data`]) → [`model::Policy`] → [`decode`] → [`diffsim`] →
//! [`loss`] (training, [`trainer`]) or `tradelab_sim::simulate` (every evaluation, [`eval`]).
//! Checkpoints: [`checkpoint`]. The binary's commands and events: `crates/train/README.md`.
pub mod checkpoint;
pub mod commands;
pub mod config;
pub mod data;
pub mod decide;
pub mod decode;
pub mod diffsim;
pub mod ensemble;
pub mod environment;
pub mod error;
pub mod eval;
pub mod events;
pub mod forecaster;
pub mod loss;
pub mod model;
pub mod optim;
pub mod rng;
pub mod serve;
pub mod trainer;

pub use error::{Result, TrainError};
