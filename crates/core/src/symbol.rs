//! Market symbols (`BTC/USDT`, `BTC/USDT:USDT`, `AAPL`) and their file-system key.
use crate::CoreError;
use std::fmt;

/// A validated market symbol in ccxt notation. The file-system key replaces `/` and `:` with `_`
/// (freqtrade's convention), so `BTC/USDT` is stored under `BTC_USDT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(String);

impl Symbol {
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let bad = |reason: &str| CoreError::InvalidSymbol { symbol: s.to_string(), reason: reason.to_string() };
        if t.is_empty() {
            return Err(bad("empty"));
        }
        if t.len() > 64 {
            return Err(bad("longer than 64 characters"));
        }
        if let Some(c) = t.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '-' | '_' | '.'))) {
            return Err(bad(&format!("character '{c}' is not allowed (use letters, digits, / : - _ .)")));
        }
        if t.starts_with('.') || t.contains("..") {
            return Err(bad("must not start with '.' or contain '..'"));
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
        assert_eq!(Symbol::parse("BTC/USDT:USDT").unwrap().key(), "BTC_USDT_USDT");
        assert_eq!(Symbol::parse("AAPL").unwrap().key(), "AAPL");
    }

    #[test]
    fn rejects_paths() {
        assert!(Symbol::parse("../etc").is_err());
        assert!(Symbol::parse("a\\b").is_err());
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("BTC USDT").is_err());
    }
}
