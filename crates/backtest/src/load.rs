//! Stored data in: bars of a window, funding series, and each symbol's calendar.
use crate::error::{BacktestError, Result};
use serde::{Deserialize, Serialize};
use tradelab_core::splits::{Split, SplitBounds, SplitConfig};
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
    /// Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(type = "\"train\" | \"val\" | \"test\" | null", optional)]
    pub split: Option<Split>,
    /// The split definition (default: val and test 20 days each, no purge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(
        type = "{ valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null",
        optional
    )]
    pub splits: Option<SplitConfig>,
    /// The run registry whose global test lock a `test` split claims (required for `test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub registry: Option<String>,
    /// `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub acknowledge_burned: Option<bool>,
}

/// Which named split a run used, its bounds, and whether its test window was burned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SplitInfo {
    #[ts(type = "\"train\" | \"val\" | \"test\"")]
    pub split: Split,
    #[ts(type = "number")]
    pub from: i64,
    #[ts(type = "number")]
    pub to: i64,
    /// `test`: an earlier look overlapped this window (numbers are not out-of-sample).
    pub burned: bool,
    /// `test`, `test (burned)`, `val`, ...
    pub label: String,
}

impl Window {
    /// A plain window over `[from, to)`.
    pub fn range(
        store: impl Into<String>,
        interval: impl Into<String>,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Window {
        Window {
            store: store.into(),
            interval: interval.into(),
            from,
            to,
            split: None,
            splits: None,
            registry: None,
            acknowledge_burned: None,
        }
    }

    /// Resolves a named split to from/to over these symbols' stored bars (first bar of any,
    /// last bar of any), claiming the global test lock for `test`. Without a split, the window
    /// as given. `command` names the caller in the lock.
    pub fn resolve(&self, symbols: &[&str], command: &str) -> Result<(Window, Option<SplitInfo>)> {
        let Some(split) = self.split else {
            return Ok((self.clone(), None));
        };
        if self.from.is_some() || self.to.is_some() {
            return Err(BacktestError::input(
                "split",
                "give a split or from/to, not both",
            ));
        }
        let (syms, first, last) = self.extent(symbols)?;
        let bounds = self.bounds(first, last)?;
        let (from, to) = bounds.of(split);
        if to <= from {
            return Err(BacktestError::input(
                "split",
                format!(
                    "the {} split is empty with these split settings ({:?})",
                    split.name(),
                    self.splits.clone().unwrap_or_default()
                ),
            ));
        }
        let burned = if split == Split::Test {
            self.claim_test_look(&syms, from, to, command)?
        } else {
            false
        };
        let mut w = self.clone();
        w.split = None;
        w.from = Some(from);
        w.to = Some(to);
        let label = if burned {
            format!("{} (burned)", split.name())
        } else {
            split.name().to_string()
        };
        Ok((
            w,
            Some(SplitInfo {
                split,
                from,
                to,
                burned,
                label,
            }),
        ))
    }
}

impl Window {
    /// These symbols, parsed, and the first and last stored bar open time over all of them.
    pub fn extent(&self, symbols: &[&str]) -> Result<(Vec<Symbol>, i64, i64)> {
        let iv = self.interval()?;
        let store = self.store();
        let (mut first, mut last) = (i64::MAX, i64::MIN);
        let mut syms = Vec::new();
        for s in symbols {
            let sym = Symbol::parse(s)?;
            // Only the first and last bar matter here: a plain read, not `info` (which also
            // scans gaps and parses the sources).
            let ts = store.read(&sym, iv)?.ts;
            if let (Some(f), Some(l)) = (ts.first(), ts.last()) {
                first = first.min(*f);
                last = last.max(*l);
            }
            syms.push(sym);
        }
        if first > last {
            return Err(BacktestError::input("split", "no stored bars to split"));
        }
        Ok((syms, first, last))
    }

    /// The split bounds (this window's `splits`, default 20/20 days) of data in `[first, last]`.
    pub fn bounds(&self, first: i64, last: i64) -> Result<SplitBounds> {
        let cfg = self.splits.clone().unwrap_or_default();
        Ok(SplitBounds::compute(&cfg, 0, self.interval()?, first, last))
    }

    /// Claims a look at `[from, to)` of the test window in the registry's global lock (refused
    /// when burned, unless acknowledged); true when an earlier look had burned it.
    pub fn claim_test_look(
        &self,
        syms: &[Symbol],
        from: i64,
        to: i64,
        command: &str,
    ) -> Result<bool> {
        let Some(reg) = &self.registry else {
            return Err(BacktestError::input(
                "split",
                "a look at the test split needs the run registry, where the global test lock lives",
            ));
        };
        let look = tradelab_registry::Registry::open(reg)?.claim_test_look(
            &tradelab_registry::TestLookRequest {
                symbols: syms.iter().map(|s| s.to_string()).collect(),
                interval: self.interval()?.name().to_string(),
                start: from,
                end: to,
                data_hash: Some(data_hash(self, syms)?),
                command: command.to_string(),
                acknowledge_burned: self.acknowledge_burned.unwrap_or(false),
            },
        )?;
        Ok(look.burned)
    }

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
