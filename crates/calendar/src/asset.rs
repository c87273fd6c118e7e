//! Crypto vs stock classification of a symbol, which decides its calendar.
//!
//! `tradelab_core::Symbol` validates spelling only, so the rules live here. They are the rules of
//! `ts/src/symbols.ts` (`classifySymbol`), kept identical so a symbol gets the same class on both
//! sides (the TS copy can be retired once the binding exposes this one):
//!
//! - anything written with `/` (`BTC/USDT`, `BTC/USDT:USDT`) is a crypto pair;
//! - a compact symbol is split on the longest stable-quote suffix (`FDUSD USDT USDC BUSD TUSD USDP
//!   USD U`); the `U` and `USD` suffixes count only when the base is a known crypto or stable
//!   asset (`BTCU` is BTC/U, but `MU`, `LULU` and `BIDU` are stocks; `BTCUSD` is crypto, `AUSD`
//!   is not);
//! - `…BTC`, `…ETH`, `…BNB` with a known crypto base are crypto crosses (`ADABTC`);
//! - a lone known crypto or stable asset (`BTC`, `FDUSD`) is crypto;
//! - other tickers of 1–5 letters with an optional class suffix (`AAPL`, `BRK.B`, `BF-B`) are
//!   stocks; anything else is an error.
use crate::CalendarError;
use tradelab_core::Symbol;

/// What kind of market a symbol trades in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssetClass {
    /// Crypto spot or perpetual: trades 24/7.
    Crypto,
    /// US-listed equity or ETF: trades in NYSE sessions.
    Stock,
}

/// Stable quotes (longest first when splitting compact symbols).
const STABLE_QUOTES: &[&str] = &["FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USDP", "USD", "U"];
/// Quotes that need a known crypto base before a compact symbol is split on them.
const GUARDED_QUOTES: &[&str] = &["U", "USD"];
/// Non-stable quote assets of crypto crosses.
const CRYPTO_CROSS_QUOTES: &[&str] = &["BTC", "ETH", "BNB"];
/// Stable tokens besides the quotes (they can also be bases).
const EXTRA_STABLE_TOKENS: &[&str] = &["DAI", "AEUR", "EURI", "PYUSD", "USDE", "USD1"];
/// Crypto bases known to the rules (same list as `KNOWN_CRYPTO_BASES` in ts/src/symbols.ts).
const KNOWN_CRYPTO_BASES: &[&str] = &[
    "BTC", "ETH", "SOL", "BNB", "LINK", "ADA", "APT", "AVAX", "DOT", "POL", "MATIC", "ATOM", "LTC",
    "BCH", "UNI", "DOGE", "XRP", "TRX", "XLM", "NEAR", "NEO", "XTZ", "AAVE", "ARB", "OP", "SUI",
    "SEI", "TON", "SHIB", "PEPE", "FIL", "ETC", "ICP", "INJ", "RNDR", "RENDER", "FET", "GRT",
    "ALGO", "EGLD", "HBAR", "VET", "SAND", "MANA", "AXS", "CRV", "MKR", "COMP", "SNX", "YFI",
    "ZEC", "XMR", "DASH", "EOS", "IOTA", "KAVA", "RUNE", "FTM", "WIF", "BONK", "TIA", "JUP",
    "PYTH", "WLD", "ENA", "STX", "IMX", "LDO", "PAXG", "WBTC", "TAO", "HYPE", "TRUMP", "CAKE",
    "BAT", "ZRX", "ENJ", "CHZ", "GALA", "QNT", "KSM", "ONE", "ZIL", "ICX", "WAVES", "QTUM", "ONT",
    "IOST", "BTT", "SUSHI", "1INCH", "DYDX", "GMX", "ORDI", "STRK", "ZK", "NOT", "JTO", "PENDLE",
    "ENS", "LRC", "OCEAN", "AGIX", "FLOKI",
];

fn is_known_crypto_asset(a: &str) -> bool {
    KNOWN_CRYPTO_BASES.contains(&a)
        || STABLE_QUOTES.contains(&a)
        || EXTRA_STABLE_TOKENS.contains(&a)
}

/// `^[A-Z]{1,5}(?:[.-][A-Z])?$`
fn is_stock_ticker(s: &str) -> bool {
    let b = s.as_bytes();
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    if !(1..=5).contains(&letters) {
        return false;
    }
    match &b[letters..] {
        [] => true,
        [sep, c] => matches!(sep, b'.' | b'-') && c.is_ascii_uppercase(),
        _ => false,
    }
}

/// Classifies a symbol as crypto or stock (rules in the module docs).
pub fn classify(symbol: &str) -> Result<AssetClass, CalendarError> {
    let raw = symbol.trim().to_ascii_uppercase();
    if raw.is_empty() {
        return Err(CalendarError::UnknownAssetClass(symbol.to_string()));
    }
    if raw.contains('/') {
        return Ok(AssetClass::Crypto);
    }
    // Compact form: settle suffix dropped, separators removed.
    let head = raw.split(':').next().unwrap_or("");
    let compact: String = head
        .chars()
        .filter(|c| !matches!(c, '/' | '-' | '_') && !c.is_whitespace())
        .collect();
    let mut by_len: Vec<&str> = STABLE_QUOTES.to_vec();
    by_len.sort_by_key(|q| std::cmp::Reverse(q.len()));
    for q in by_len {
        if let Some(base) = compact.strip_suffix(q) {
            if base.is_empty() || (GUARDED_QUOTES.contains(&q) && !is_known_crypto_asset(base)) {
                continue;
            }
            return Ok(AssetClass::Crypto);
        }
    }
    for q in CRYPTO_CROSS_QUOTES {
        if let Some(base) = compact.strip_suffix(q) {
            if !base.is_empty() && is_known_crypto_asset(base) {
                return Ok(AssetClass::Crypto);
            }
        }
    }
    if is_known_crypto_asset(&compact) {
        return Ok(AssetClass::Crypto);
    }
    if is_stock_ticker(&raw) {
        return Ok(AssetClass::Stock);
    }
    Err(CalendarError::UnknownAssetClass(symbol.to_string()))
}

/// [`classify`] for a validated [`Symbol`].
pub fn asset_class(symbol: &Symbol) -> Result<AssetClass, CalendarError> {
    classify(symbol.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_answers_as_the_ts_rules() {
        for s in [
            "BTCU",
            "BTC/USDT",
            "btc/usdt",
            "BTC/USDT:USDT",
            "BTCUSD",
            "ADABTC",
            "BTC",
            "FDUSD",
            "BTCFDUSD",
            "ETHUSDT",
        ] {
            assert_eq!(classify(s), Ok(AssetClass::Crypto), "{s}");
        }
        for s in [
            "MU", "LULU", "BIDU", "AUSD", "AAPL", "BRK.B", "BF-B", "SPY", "spy",
        ] {
            assert_eq!(classify(s), Ok(AssetClass::Stock), "{s}");
        }
        for s in ["NOTATICKER1", "", "  "] {
            assert!(classify(s).is_err(), "{s}");
        }
    }
}
