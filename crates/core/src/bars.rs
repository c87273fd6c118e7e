//! OHLCV bars as a structure of arrays.
use crate::CoreError;

/// OHLCV bars, one value per bar in each column. `ts` is the bar open time in UTC epoch ms.
/// `trades` and `vwap` are optional columns; when present they have one value per bar.
/// Deserialises from `{"ts": [..], "open": [..], ...}` (a live loop's bars; optional columns may
/// be left out).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct Bars {
    pub ts: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
    pub trades: Option<Vec<i64>>,
    pub vwap: Option<Vec<f64>>,
}

impl Bars {
    pub fn with_capacity(n: usize) -> Self {
        Bars {
            ts: Vec::with_capacity(n),
            open: Vec::with_capacity(n),
            high: Vec::with_capacity(n),
            low: Vec::with_capacity(n),
            close: Vec::with_capacity(n),
            volume: Vec::with_capacity(n),
            trades: None,
            vwap: None,
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Checks that every column has one value per bar.
    pub fn check_lengths(&self) -> Result<(), CoreError> {
        let n = self.ts.len();
        let cols: [(&'static str, usize); 5] = [
            ("open", self.open.len()),
            ("high", self.high.len()),
            ("low", self.low.len()),
            ("close", self.close.len()),
            ("volume", self.volume.len()),
        ];
        for (column, got) in cols {
            if got != n {
                return Err(CoreError::LengthMismatch {
                    column,
                    got,
                    expected: n,
                });
            }
        }
        if let Some(t) = &self.trades {
            if t.len() != n {
                return Err(CoreError::LengthMismatch {
                    column: "trades",
                    got: t.len(),
                    expected: n,
                });
            }
        }
        if let Some(v) = &self.vwap {
            if v.len() != n {
                return Err(CoreError::LengthMismatch {
                    column: "vwap",
                    got: v.len(),
                    expected: n,
                });
            }
        }
        Ok(())
    }

    /// A copy of bars `r` (every column, optional ones included).
    pub fn slice(&self, r: std::ops::Range<usize>) -> Bars {
        Bars {
            ts: self.ts[r.clone()].to_vec(),
            open: self.open[r.clone()].to_vec(),
            high: self.high[r.clone()].to_vec(),
            low: self.low[r.clone()].to_vec(),
            close: self.close[r.clone()].to_vec(),
            volume: self.volume[r.clone()].to_vec(),
            trades: self.trades.as_ref().map(|v| v[r.clone()].to_vec()),
            vwap: self.vwap.as_ref().map(|v| v[r].to_vec()),
        }
    }

    /// Copies bar `i` of `src` onto the end of `self`. Optional columns present in either side are
    /// kept; missing values are filled with 0 trades / close as vwap (the seed's convention).
    pub fn push_from(&mut self, src: &Bars, i: usize) {
        let n = self.len();
        self.ts.push(src.ts[i]);
        self.open.push(src.open[i]);
        self.high.push(src.high[i]);
        self.low.push(src.low[i]);
        self.close.push(src.close[i]);
        self.volume.push(src.volume[i]);
        if src.trades.is_some() && self.trades.is_none() {
            self.trades = Some(vec![0; n]);
        }
        if let Some(t) = &mut self.trades {
            t.push(src.trades.as_ref().map_or(0, |s| s[i]));
        }
        if src.vwap.is_some() && self.vwap.is_none() {
            self.vwap = Some(self.close[..n].to_vec());
        }
        if let Some(v) = &mut self.vwap {
            v.push(src.vwap.as_ref().map_or(src.close[i], |s| s[i]));
        }
    }

    /// Bars whose open time lies in `[from, to)` (either bound optional), as a new set.
    pub fn between(&self, from: Option<i64>, to: Option<i64>) -> Bars {
        let lo = from.map_or(0, |f| self.ts.partition_point(|t| *t < f));
        let hi = to.map_or(self.len(), |t| self.ts.partition_point(|x| *x < t));
        let hi = hi.max(lo);
        Bars {
            ts: self.ts[lo..hi].to_vec(),
            open: self.open[lo..hi].to_vec(),
            high: self.high[lo..hi].to_vec(),
            low: self.low[lo..hi].to_vec(),
            close: self.close[lo..hi].to_vec(),
            volume: self.volume[lo..hi].to_vec(),
            trades: self.trades.as_ref().map(|t| t[lo..hi].to_vec()),
            vwap: self.vwap.as_ref().map(|v| v[lo..hi].to_vec()),
        }
    }

    /// True when bar `i` of `self` and bar `j` of `other` carry the same values (bitwise on f64,
    /// so re-importing the same file is recognised as "unchanged").
    pub fn same_bar(&self, i: usize, other: &Bars, j: usize) -> bool {
        let eq = |a: f64, b: f64| a.to_bits() == b.to_bits();
        self.ts[i] == other.ts[j]
            && eq(self.open[i], other.open[j])
            && eq(self.high[i], other.high[j])
            && eq(self.low[i], other.low[j])
            && eq(self.close[i], other.close[j])
            && eq(self.volume[i], other.volume[j])
            && match (&self.trades, &other.trades) {
                (Some(a), Some(b)) => a[i] == b[j],
                _ => true,
            }
            && match (&self.vwap, &other.vwap) {
                (Some(a), Some(b)) => eq(a[i], b[j]),
                _ => true,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_selects_half_open_time_ranges() {
        let mut b = Bars::with_capacity(5);
        for i in 0..5 {
            b.ts.push(i * 10);
            for c in [
                &mut b.open,
                &mut b.high,
                &mut b.low,
                &mut b.close,
                &mut b.volume,
            ] {
                c.push(i as f64);
            }
        }
        assert_eq!(b.between(Some(10), Some(30)).ts, vec![10, 20]);
        assert_eq!(b.between(None, Some(5)).ts, vec![0]);
        assert_eq!(b.between(Some(35), None).ts, vec![40]);
        assert!(b.between(Some(50), Some(10)).is_empty());
    }
}
