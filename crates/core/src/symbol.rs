//! Market symbols (`BTC/USDT`, `BTC/USDT:USDT`, `AAPL`) and their file-system key.
use crate::CoreError;
use std::fmt;

/// A validated market symbol in ccxt notation. The file-system key replaces `/` and `:` with `_`
/// (freqtrade's convention), so `BTC/USDT` is stored under `BTC_USDT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(String);

impl Symbol {
    /// The one canonical parser: `BASE/QUOTE` (spot), `BASE/QUOTE:SETTLE` (perpetual swap) or a
    /// plain ticker (`AAPL`, `BRK.B`). Each part is letters, digits, `-` or `.`; anything it
    /// cannot parse exactly is refused, so no two spellings share a store directory (`_` is the
    /// store key's separator and is refused: write `BTC/USDT`, not `BTC_USDT`).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let shown = crate::cap_text(s, 70);
        let bad = |reason: &str| CoreError::InvalidSymbol {
            symbol: shown.clone(),
            reason: reason.to_string(),
        };
        if t.is_empty() {
            return Err(bad("empty"));
        }
        if t.len() > 64 {
            return Err(bad("longer than 64 characters"));
        }
        if let Some(c) = t
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '-' | '_' | '.')))
        {
            return Err(bad(&format!(
                "character '{c}' is not allowed (use letters, digits, / : - .)"
            )));
        }
        if t.starts_with('.') || t.contains("..") {
            return Err(bad("must not start with '.' or contain '..'"));
        }
        if t.contains('_') {
            let hint = t.replacen('_', "/", 1).replacen('_', ":", 1);
            return Err(bad(&format!("'_' is the store's directory separator, not part of a symbol; did you mean '{}'? (allowed: BASE/QUOTE, BASE/QUOTE:SETTLE or a ticker)", hint.to_ascii_uppercase())));
        }
        let form = "expected BASE/QUOTE, BASE/QUOTE:SETTLE or a plain ticker";
        let part_ok = |p: &str| !p.is_empty() && p.chars().any(|c| c.is_ascii_alphanumeric());
        let (pair, settle) = match t.split_once(':') {
            Some((pair, settle)) => (pair, Some(settle)),
            None => (t, None),
        };
        if let Some(settle) = settle {
            if !part_ok(settle) || settle.contains(':') || settle.contains('/') {
                return Err(bad(&format!(
                    "settle currency after ':' is not a single name ({form})"
                )));
            }
        }
        match pair.split('/').collect::<Vec<_>>().as_slice() {
            [ticker] => {
                if !part_ok(ticker) {
                    return Err(bad(form));
                }
                if settle.is_some() {
                    return Err(bad(&format!(
                        "':SETTLE' needs BASE/QUOTE before it ({form})"
                    )));
                }
            }
            [base, quote] => {
                if !part_ok(base) || !part_ok(quote) {
                    return Err(bad(&format!("base and quote must both be given ({form})")));
                }
            }
            _ => return Err(bad(&format!("more than one '/' ({form})"))),
        }
        Ok(Symbol(t.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Directory name in the store.
    pub fn key(&self) -> String {
        self.0.replace(['/', ':'], "_")
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(Symbol::parse("btc/usdt").unwrap().key(), "BTC_USDT");
        assert_eq!(
            Symbol::parse("BTC/USDT:USDT").unwrap().key(),
            "BTC_USDT_USDT"
        );
        assert_eq!(Symbol::parse("AAPL").unwrap().key(), "AAPL");
    }

    #[test]
    fn rejects_paths() {
        assert!(Symbol::parse("../etc").is_err());
        assert!(Symbol::parse("a\\b").is_err());
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("BTC USDT").is_err());
    }

    #[test]
    fn one_canonical_form_per_store_key() {
        for bad in [
            "BTC/USDT/EXTRA",
            "BTC/",
            "/USDT",
            "BTC_USDT",
            "BTC/USDT/USDT",
            "BTC/USDT:",
            ":USDT",
            "BTC:USDT",
            "BTC/USDT:USDT:X",
            "/",
            "-/-",
        ] {
            let e = Symbol::parse(bad);
            assert!(e.is_err(), "{bad} accepted as {:?}", e.map(|s| s.key()));
        }
        assert!(Symbol::parse("BTC_USDT")
            .unwrap_err()
            .to_string()
            .contains("BTC/USDT"));
        for good in [
            "BTC/USDT",
            "BTC/USDT:USDT",
            "AAPL",
            "BRK.B",
            "BRK-B",
            "1000PEPE/USDT",
        ] {
            assert!(Symbol::parse(good).is_ok(), "{good}");
        }
    }
}
