//! One fingerprint of a trade list: a backtest and a paper run over the same bars compare their
//! trades by it (bit for bit: every float is written in Rust's shortest round-trip `{:e}` form).
use crate::Trade;
use sha2::{Digest, Sha256};

/// Hex SHA-256 over one line per trade: `ts|bar|side|reason|price|qty|fee|cash_delta`.
/// The golden runs (`tests/golden/runs.json`) record the same hash.
pub fn trade_sha256(trades: &[Trade]) -> String {
    let mut h = Sha256::new();
    for t in trades {
        h.update(format!(
            "{}|{}|{:?}|{:?}|{:e}|{:e}|{:e}|{:e}\n",
            t.ts, t.bar, t.side, t.reason, t.price, t.qty, t.fee, t.cash_delta
        ));
    }
    format!("{:x}", h.finalize())
}
