//! Maker/taker fees per instrument, as fractions of traded notional.
use serde::{Deserialize, Serialize};

/// Limit fills pay `maker`; forced market closes (max hold, end of day, liquidation) pay `taker`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fees {
    pub maker: f64,
    pub taker: f64,
}

impl Default for Fees {
    fn default() -> Self {
        Fees {
            maker: 0.001,
            taker: 0.001,
        }
    }
}

impl Fees {
    /// Spend per unit bought at `price` with the maker fee inside the spend.
    #[inline(always)]
    pub fn buy_unit_cost(&self, price: f64) -> f64 {
        price * (1.0 + self.maker)
    }
}
