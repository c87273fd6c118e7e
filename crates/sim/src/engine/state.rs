//! The engine's state: everything carried from one bar to the next. It serialises, so a live
//! loop can persist it after every bar and resume after a restart.
use crate::metrics::TradeStats;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    /// Signed units: > 0 long, < 0 short.
    pub qty: f64,
    /// Volume-weighted entry price of the open position (0 when flat).
    pub avg_entry: f64,
    /// Clock index of the bar whose fill opened the position from flat (meaningful while open).
    pub opened_at: usize,
    /// Last close seen (marks the position while the instrument has no bar).
    pub mark: f64,
    /// Cash flow of this instrument so far (fills, funding, borrow): with `qty × mark` its PnL.
    pub cash_flow: f64,
    pub funding: f64,
    pub fees: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub cash: f64,
    pub positions: Vec<Position>,
    pub stats: Vec<TradeStats>,
    /// Steps taken (the clock index of the next bar).
    pub bar: usize,
    /// Funding received minus paid, over all instruments.
    pub funding: f64,
    /// Margin interest and borrow cost paid.
    pub financing: f64,
    pub liquidations: u32,
}

impl State {
    pub fn new(starting_cash: f64, instruments: usize) -> Self {
        State {
            cash: starting_cash,
            positions: vec![Position::default(); instruments],
            stats: vec![TradeStats::default(); instruments],
            bar: 0,
            funding: 0.0,
            financing: 0.0,
            liquidations: 0,
        }
    }

    /// Cash plus every position at its mark.
    pub fn equity(&self) -> f64 {
        let mut e = self.cash;
        for p in &self.positions {
            e += p.qty * p.mark;
        }
        e
    }
}
