//! tradelab-backtest: the backtest use cases over the one engine (`tradelab_sim`). Stored bars in,
//! typed reports out; the node binding and the CLI only convert and print.
//!
//! * [`single`] — one symbol, a rule strategy or precomputed actions (`simulate`).
//! * [`portfolio`] — one strategy on N symbols with shared cash and `maxPositions` slots.
//! * [`portfolio_sweep`] — a sweep grid (plus a `maxPositions` axis) of shared-cash portfolios.
//! * [`harvest`] — funding harvest: long spot + short perpetual, funding from the store.
//! * [`walk_forward`] — folds that choose parameters in-sample and chain the out-of-sample parts.
//! * [`paper`] — paper trading's engine side: the engine's `step` on one live bar at a time.
//! * [`select`] — the multi-asset selector's engine side, stepped by a TS `Selector`.
//! * [`types`] — the TypeScript declarations of every type that crosses into TS, generated
//!   from these structs (`ts/src/generated/engine.ts`, checked by a test).
pub mod actions_sweep;
pub mod error;
pub mod harvest;
pub mod load;
pub mod overfit;
pub mod paper;
pub mod portfolio;
pub mod portfolio_sweep;
pub mod select;
pub mod single;
pub mod sweep;
pub mod types;
pub mod walk_forward;

pub use error::{BacktestError, Result};
