//! What the engine needs to know about one instrument.
use crate::model::Fees;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InstrumentKind {
    /// Spot: long-only unless `allow_short` (then pays borrow cost).
    #[default]
    Spot,
    /// Linear perpetual: shorts allowed, pays or receives funding, no borrow cost.
    Perpetual,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstrumentSpec {
    pub symbol: String,
    #[serde(default)]
    pub kind: InstrumentKind,
    #[serde(default)]
    pub fees: Fees,
    /// Spot shorting (borrowed units). Ignored for perpetuals, which can always go short.
    #[serde(default)]
    pub allow_short: bool,
    /// Caps this instrument's filled quantity per bar at this fraction of the bar's volume.
    #[serde(default)]
    pub max_volume_fraction: Option<f64>,
    /// Close any position at the close of the session's last bar (taker fee).
    #[serde(default)]
    pub end_of_day_close: bool,
}

impl InstrumentSpec {
    pub fn spot(symbol: impl Into<String>, fees: Fees) -> Self {
        InstrumentSpec {
            symbol: symbol.into(),
            kind: InstrumentKind::Spot,
            fees,
            allow_short: false,
            max_volume_fraction: None,
            end_of_day_close: false,
        }
    }

    pub fn can_short(&self) -> bool {
        self.kind == InstrumentKind::Perpetual || self.allow_short
    }
}
