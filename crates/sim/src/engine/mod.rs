//! The engine: one per-bar state machine ([`Engine::step`]) that every consumer folds over.
//!
//! `simulate` (one instrument, one action row per bar), the portfolio backtest (N instruments
//! with shared cash), and paper/live trading (one bar at a time, state persisted between bars)
//! all call the same `step`. The lockstep SIMD kernel is its twin: property tests hold it to the
//! step fold bit for bit. The contract, in order, for one timestamp (see `step.rs`):
//!
//! 1. **Open.** Per instrument, in instrument order: a position held `max_hold_bars` is closed
//!    at the open (taker fee) and nothing else trades on it this bar; otherwise its intrabar
//!    cycles run (optimistic mode, long-only).
//! 2. **Exits and sells**, in instrument order, from the position held at the open.
//! 3. **Entries and buys**, in instrument order, from the cash held before step 2 (never the
//!    proceeds of this bar's sells), capped by buying power. The one exception is OPTIMISTIC and
//!    opt-in: a buy marked `after_exit = x` rests only if instrument x was long at the open and
//!    step 2 closed it, and spends that exit's proceeds (same-bar re-entry; it assumes the exit
//!    filled before the entry within the bar, which bars cannot show).
//! 4. **Close.** Funding, borrow cost, end-of-day closes, margin interest, then the liquidation
//!    check, then equity is marked at each instrument's close (its last close when it has no
//!    bar at this timestamp).
//!
//! An instrument without a bar at a timestamp (a gap, or its market is closed) gets no fills.
pub mod instrument;
pub mod orders;
pub mod portfolio;
pub mod state;
pub mod step;

pub use instrument::{InstrumentKind, InstrumentSpec};
pub use orders::{orders_from_row, Limit, OrderTransform, Orders, Size};
pub use portfolio::{
    run_portfolio, ActionOrders, Decision, InstrumentData, InstrumentResult, OrderSource,
    PortfolioResult, Stepper,
};
pub use state::{Position, State};
pub use step::{BarInput, Engine, EngineParams, Fill};
