//! Stored data in: bars of a window, funding series, and each symbol's calendar.
use crate::error::{BacktestError, Result};
use serde::{Deserialize, Serialize};
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_data::series::FundingSeries;
use tradelab_data::Store;

/// Where the bars of a run come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Window {
    /// Store root directory.
    pub store: String,
    /// Bar interval, e.g. `1h`.
    pub interval: String,
    /// First bar open time included (epoch ms).
    #[serde(default)]
    #[ts(type = "number | null", optional)]
    pub from: Option<i64>,
    /// Bars opening at or after this time are excluded (epoch ms).
    #[serde(default)]
    #[ts(type = "number | null", optional)]
    pub to: Option<i64>,
}

impl Window {
    pub fn interval(&self) -> Result<Interval> {
        Ok(self.interval.parse::<Interval>()?)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.store)
    }
}

/// A symbol's stored bars inside the window; an empty window is an error naming the symbol.
pub fn bars(w: &Window, symbol: &str) -> Result<(Symbol, Bars)> {
    let sym = Symbol::parse(symbol)?;
    let iv = w.interval()?;
    let all = w.store().read(&sym, iv)?;
    let bars = all.between(w.from, w.to);
    if bars.is_empty() {
        return Err(BacktestError::input(
            "window",
            format!(
                "no {sym} {iv} bars in the requested window ({} bars stored)",
                all.len()
            ),
        ));
    }
    Ok((sym, bars))
}

/// The stored funding series of a perpetual (errors name the file when missing).
pub fn funding(w: &Window, sym: &Symbol) -> Result<FundingSeries> {
    Ok(w.store().read_funding(sym)?)
}

/// The data hash of these symbols' stored bars at the window's interval (`Store::data_hash`).
pub fn data_hash<'a>(w: &Window, symbols: impl IntoIterator<Item = &'a Symbol>) -> Result<String> {
    let iv = w.interval()?;
    let sets: Vec<(Symbol, Interval)> = symbols.into_iter().map(|s| (s.clone(), iv)).collect();
    Ok(w.store().data_hash(&sets)?)
}
