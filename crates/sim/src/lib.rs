//! tradelab-sim: limit-order bar simulation, metrics and fast parameter sweeps.
//!
//! One contract for every consumer (sweeps, selector, training evaluation, paper trading):
//! `Actions` row t is decided after bar t closes and may fill only on bar t + decision_lag
//! (default 1). See [`actions`] for the contract and [`mod@reference`] for the exact fill rules.
//!
//! * [`simulate`] — the readable per-bar reference simulator (equity curve, trades, metrics).
//! * [`run_batch`] — the lockstep SIMD kernel: many parameter sets over the same bars, bit-identical
//!   to the reference.
//! * [`run_sweep`] — grid sweeps from a JSON [`SweepSpec`], one [`SweepRow`] per parameter set.
//! * [`metrics`] — the one definition of every statistic (Sortino = downside RMS over all periods).
//! * [`Strategy`] — built-in causal strategies (SMA/EMA crossover, band).
//!
//! * [`engine`] — THE per-bar `step` (state, order of processing) that `simulate`, portfolios and
//!   paper trading fold over; [`model`] holds the one fill/fee/volume/funding/financing model.
//!
//! `simulate` is long-only spot; the portfolio engine adds shared cash, shorts, leverage and
//! perpetual funding. Runs with decision lag 0 or intrabar round trips are flagged by
//! [`SimParams::is_optimistic`] and in every [`SimLabel`].

pub mod actions;
pub mod cycles;
pub mod engine;
pub mod environment;
pub mod error;
pub mod inputs;
pub mod kernel;
pub mod metrics;
pub mod model;
pub mod num;
pub mod params;
pub mod reference;
pub mod strategies;
pub mod stress;
pub mod sweep;
pub mod trade_hash;
pub mod trips;

pub use actions::{Actions, Order};
pub use engine::{
    BarInput, Engine, EngineParams, Fill, InstrumentKind, InstrumentSpec, Orders, State,
};
pub use environment::{environment, Environment, Libtorch};
pub use error::SimError;
pub use inputs::{check_bars, check_inputs, MAX_PRICE, MIN_PRICE};
pub use kernel::{
    block_bounds, run_batch, simd_level, total_bar_evaluations, BatchOutput, PreparedActions,
    Progress, ReturnBlocks, SimdLevel, LANES, RETURN_BLOCKS,
};
pub use metrics::{curve_metrics, window_metrics, CurveMetrics, CurveStats, Metrics, TradeStats};
pub use params::{FillRule, SimLabel, SimParams};
pub use reference::{simulate, Side, SimResult, Trade, TradeReason, DUST_BUDGET};
pub use strategies::Strategy;
pub use stress::{robust_over_assumptions, robust_score, stress_table, RobustScore, StressRow};
pub use sweep::{
    run_sweep, run_sweep_rows, sweep_chunk_range, SweepGrid, SweepResult, SweepRow, SweepSpec,
};
pub use trade_hash::trade_sha256;
pub use trips::{round_trips, RoundTrip};
