//! The one test lock. Every look at a test window is recorded here, one row per symbol, whatever
//! command or checkpoint asks. A look whose window overlaps an earlier look at the same symbol
//! and interval is a second look: refused unless the caller acknowledges the test is burned,
//! and then recorded and reported as burned. Keyed by instrument, interval and time, not by
//! checkpoint directory, so a new directory, an identical retrain or edited splits cannot reset
//! it; appending bars moves the test window, but the days already seen stay burned.
use crate::error::RegistryError;
use crate::registry::Registry;
use rusqlite::{params, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestLookRequest {
    pub symbols: Vec<String>,
    pub interval: String,
    /// The test window's bar open times, `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub data_hash: Option<String>,
    /// What looked, e.g. `backtest`, `sweep`, `eval <checkpoint>`.
    pub command: String,
    /// `--i-know-test-is-burned`.
    pub acknowledge_burned: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlierLook {
    pub symbol: String,
    pub interval: String,
    pub start: i64,
    pub end: i64,
    pub command: String,
    pub at: i64,
}

/// The outcome of a permitted look.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestLook {
    /// An earlier look overlapped this window: these numbers are not out-of-sample.
    pub burned: bool,
    pub earlier: Vec<EarlierLook>,
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

impl Registry {
    /// Records a look at a test window, or refuses a second one (nothing recorded).
    pub fn claim_test_look(&self, req: &TestLookRequest) -> Result<TestLook, RegistryError> {
        if req.symbols.is_empty() || req.end <= req.start {
            return Err(RegistryError::BadInput(format!(
                "test look: needs symbols and a non-empty window (got {} symbols, [{}, {}))",
                req.symbols.len(),
                req.start,
                req.end
            )));
        }
        let sql = |e| self.sql_error(e);
        // IMMEDIATE: two processes claiming the same window at once queue; the second sees the
        // first's row.
        let tx =
            Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate).map_err(sql)?;
        let mut earlier = Vec::new();
        {
            let mut q = tx
                .prepare(
                    "SELECT symbol, interval, test_start, test_end, command, at FROM test_looks \
                     WHERE symbol = ?1 AND interval = ?2 AND test_start < ?4 AND ?3 < test_end ORDER BY at, id",
                )
                .map_err(sql)?;
            for s in &req.symbols {
                let rows = q
                    .query_map(params![s, req.interval, req.start, req.end], |r| {
                        Ok(EarlierLook {
                            symbol: r.get(0)?,
                            interval: r.get(1)?,
                            start: r.get(2)?,
                            end: r.get(3)?,
                            command: r.get(4)?,
                            at: r.get(5)?,
                        })
                    })
                    .map_err(sql)?;
                for row in rows {
                    earlier.push(row.map_err(sql)?);
                }
            }
        }
        if !earlier.is_empty() && !req.acknowledge_burned {
            let first = &earlier[0];
            return Err(RegistryError::TestBurned(format!(
                "the test window {} .. {} of {} {} was already looked at ({} look(s); first by `{}` at {} UTC, window {} .. {}): \
                 numbers read after seeing it are no longer out-of-sample. Pass --i-know-test-is-burned to see it anyway; \
                 the result is then labelled burned (test lock: {})",
                iso(req.start),
                iso(req.end),
                req.symbols.join(", "),
                req.interval,
                earlier.len(),
                first.command,
                iso(first.at),
                iso(first.start),
                iso(first.end),
                self.path().display()
            )));
        }
        let now = chrono::Utc::now().timestamp_millis();
        for s in &req.symbols {
            tx.execute(
                "INSERT INTO test_looks (symbol, interval, test_start, test_end, data_hash, command, at, acknowledged_burned) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![s, req.interval, req.start, req.end, req.data_hash, req.command, now, !earlier.is_empty()],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(TestLook {
            burned: !earlier.is_empty(),
            earlier,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(symbols: &[&str], start: i64, end: i64, ack: bool) -> TestLookRequest {
        TestLookRequest {
            symbols: symbols.iter().map(|s| s.to_string()).collect(),
            interval: "1h".into(),
            start,
            end,
            data_hash: None,
            command: "backtest".into(),
            acknowledge_burned: ack,
        }
    }

    #[test]
    fn one_look_then_refused_overlaps_burned_when_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("runs.sqlite")).unwrap();
        let first = reg
            .claim_test_look(&req(&["SOL/USDT"], 100, 200, false))
            .unwrap();
        assert!(!first.burned);
        // The same window, a shifted one (appended bars), and a portfolio containing the symbol.
        for r in [
            req(&["SOL/USDT"], 100, 200, false),
            req(&["SOL/USDT"], 150, 250, false),
            req(&["BTC/USDT", "SOL/USDT"], 0, 101, false),
        ] {
            let e = reg.claim_test_look(&r).unwrap_err();
            assert_eq!(e.code(), "TEST_BURNED");
            assert!(
                e.to_string().contains("already looked at")
                    && e.to_string().contains("--i-know-test-is-burned"),
                "{e}"
            );
        }
        // Refusals record nothing: BTC/USDT alone is still unseen; adjacent windows do not overlap.
        assert!(
            !reg.claim_test_look(&req(&["BTC/USDT"], 0, 100, false))
                .unwrap()
                .burned
        );
        assert!(
            !reg.claim_test_look(&req(&["SOL/USDT"], 200, 300, false))
                .unwrap()
                .burned
        );
        let again = reg
            .claim_test_look(&req(&["SOL/USDT"], 100, 200, true))
            .unwrap();
        assert!(again.burned);
        assert_eq!(again.earlier.len(), 1);
        // Another process opening the same file sees the lock.
        let other = Registry::open(dir.path().join("runs.sqlite")).unwrap();
        assert_eq!(
            other
                .claim_test_look(&req(&["SOL/USDT"], 120, 130, true))
                .unwrap()
                .earlier
                .len(),
            2
        );
    }
}
