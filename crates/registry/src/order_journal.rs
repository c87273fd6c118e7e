//! The order journal of a paper or live run: an append-only SQLite file of decisions, order
//! intents (written before the venue is called), acknowledgements and fills (after), risk
//! refusals, kill-switch events and the engine state after every bar.
//!
//! Crash safety rests on three rules:
//! * an intent is committed before the order is sent, under a client order id derived from
//!   (run, bar, instrument, side) ([`client_order_id`]), so a retry after a crash re-sends the
//!   same id and the venue (or the journal's unique index) refuses a duplicate;
//! * a bar's fills and the state after it are committed in one transaction ([`OrderJournal::commit_bar`]):
//!   after a crash either both are there or neither, and a restart resumes from the last state;
//! * rows are never updated or deleted: a unique index on (run, kind, ref) turns a replayed write
//!   into a no-op, and a replayed write that differs from the stored one into an error.
use crate::error::RegistryError;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every kind of event the journal accepts.
pub const EVENT_KINDS: [&str; 10] = [
    "decision", "intent", "ack", "fill", "cancel", "state", "refusal", "kill", "error", "stop",
];

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS exec_runs (
    run TEXT PRIMARY KEY,
    mode TEXT NOT NULL,
    config TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS exec_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    run TEXT NOT NULL REFERENCES exec_runs(run),
    kind TEXT NOT NULL,
    bar_ts INTEGER NOT NULL,
    ref TEXT,
    payload TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS exec_events_once ON exec_events(run, kind, ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS exec_events_run ON exec_events(run, kind, seq);
CREATE TRIGGER IF NOT EXISTS exec_events_append_only_u BEFORE UPDATE ON exec_events
    BEGIN SELECT RAISE(ABORT, 'the order journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS exec_events_append_only_d BEFORE DELETE ON exec_events
    BEGIN SELECT RAISE(ABORT, 'the order journal is append-only'); END;
";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEvent {
    pub seq: i64,
    pub kind: String,
    pub bar_ts: i64,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub payload: Value,
    pub at_ms: i64,
}

/// One event to append: `reference` (a client order id, a fill id, a bar) makes it idempotent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewEvent {
    pub kind: String,
    pub bar_ts: i64,
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
    pub payload: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalRun {
    pub run: String,
    pub mode: String,
    pub config: Value,
    pub created_ms: i64,
    pub events: i64,
}

pub struct OrderJournal {
    conn: Connection,
    path: PathBuf,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// FNV-1a: a stable 64-bit digest of the run id (not a security hash; ids only need to differ).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn base36(mut n: u64) -> String {
    const D: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    if n == 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(D[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The client order id of the order a run places for `instrument` on the bar opening at `bar_ts`
/// on `side` (`buy`/`sell`): `tl-<run digest>-<bar seconds, base 36>-<instrument><b|s>`, at most
/// 32 characters from Binance's `newClientOrderId` alphabet. The same inputs always give the
/// same id, so a retried placement can never become a second order.
pub fn client_order_id(
    run: &str,
    bar_ts: i64,
    instrument: usize,
    side: &str,
) -> Result<String, RegistryError> {
    let s = match side {
        "buy" => 'b',
        "sell" => 's',
        other => {
            return Err(RegistryError::field(
                "side",
                format!("'{other}' is not buy or sell"),
            ))
        }
    };
    if bar_ts < 0 {
        return Err(RegistryError::field(
            "barTs",
            format!("{bar_ts} is negative"),
        ));
    }
    Ok(format!(
        "tl-{:012x}-{}-{}{}",
        fnv1a(run) & 0xffff_ffff_ffff,
        base36((bar_ts / 1000) as u64),
        base36(instrument as u64),
        s
    ))
}

impl OrderJournal {
    /// Opens (creating if needed) a journal file. WAL with `synchronous = FULL`: a committed
    /// intent survives a crash of the process and of the machine.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, RegistryError> {
        let path = path.as_ref().to_path_buf();
        let sql = |source| RegistryError::Sqlite {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| RegistryError::Io {
                path: path.clone(),
                source,
            })?;
        }
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(15)).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(OrderJournal { conn, path })
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> RegistryError + '_ {
        move |source| RegistryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Registers a run, or resumes it: returns true when the run already existed. A run resumed
    /// with another mode or config is refused (its journal would mix two strategies).
    pub fn begin_run(&self, run: &str, mode: &str, config: &Value) -> Result<bool, RegistryError> {
        if run.is_empty() || run.len() > 128 {
            return Err(RegistryError::field(
                "run",
                "give a run id of 1 to 128 characters",
            ));
        }
        let stored: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT mode, config FROM exec_runs WHERE run = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.sql())?;
        match stored {
            Some((m, c)) => {
                let c: Value = serde_json::from_str(&c).map_err(|e| RegistryError::CorruptRow {
                    path: self.path.clone(),
                    id: run.into(),
                    column: "config",
                    message: e.to_string(),
                })?;
                if m != mode {
                    return Err(RegistryError::BadInput(format!(
                        "journal {}: run {run} is a {m} run, not {mode}",
                        self.path.display()
                    )));
                }
                if &c != config {
                    return Err(RegistryError::BadInput(format!(
                        "journal {}: run {run} was started with another config; resume it with the same config or start a new run id",
                        self.path.display()
                    )));
                }
                Ok(true)
            }
            None => {
                self.conn
                    .execute("INSERT INTO exec_runs (run, mode, config, created_ms) VALUES (?1, ?2, ?3, ?4)", params![run, mode, config.to_string(), now_ms()])
                    .map_err(self.sql())?;
                Ok(false)
            }
        }
    }

    fn check(e: &NewEvent) -> Result<(), RegistryError> {
        if !EVENT_KINDS.contains(&e.kind.as_str()) {
            return Err(RegistryError::field(
                "kind",
                format!("'{}' is not one of {}", e.kind, EVENT_KINDS.join(", ")),
            ));
        }
        Ok(())
    }

    /// Inserts `e` unless an event of its kind and ref exists; an existing one with another
    /// payload is an error (the run diverged from its journal). Returns whether it was inserted.
    fn insert(
        tx: &rusqlite::Transaction<'_>,
        path: &Path,
        run: &str,
        e: &NewEvent,
    ) -> Result<bool, RegistryError> {
        Self::check(e)?;
        let sql = |source| RegistryError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let payload = e.payload.to_string();
        if let Some(r) = &e.reference {
            let old: Option<String> = tx
                .query_row(
                    "SELECT payload FROM exec_events WHERE run = ?1 AND kind = ?2 AND ref = ?3",
                    params![run, e.kind, r],
                    |x| x.get(0),
                )
                .optional()
                .map_err(sql)?;
            if let Some(old) = old {
                let old: Value =
                    serde_json::from_str(&old).map_err(|x| RegistryError::CorruptRow {
                        path: path.to_path_buf(),
                        id: r.clone(),
                        column: "payload",
                        message: x.to_string(),
                    })?;
                if old != e.payload {
                    return Err(RegistryError::BadInput(format!(
                        "journal {}: run {run}: {} {r} is journaled as {old} but is now {}: the run diverged from its journal",
                        path.display(),
                        e.kind,
                        e.payload
                    )));
                }
                return Ok(false);
            }
        }
        tx.execute(
            "INSERT INTO exec_events (run, kind, bar_ts, ref, payload, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![run, e.kind, e.bar_ts, e.reference, payload, now_ms()],
        )
        .map_err(sql)?;
        Ok(true)
    }

    /// Appends events in one transaction (all or none); returns, per event, whether it was new.
    pub fn append(&mut self, run: &str, events: &[NewEvent]) -> Result<Vec<bool>, RegistryError> {
        let path = self.path.clone();
        let sql = |source| RegistryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            out.push(Self::insert(&tx, &path, run, e)?);
        }
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    /// The last `state` event of a run: (bar open time, payload).
    pub fn latest_state(&self, run: &str) -> Result<Option<(i64, Value)>, RegistryError> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row("SELECT bar_ts, payload FROM exec_events WHERE run = ?1 AND kind = 'state' ORDER BY seq DESC LIMIT 1", [run], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(self.sql())?;
        row.map(|(ts, p)| {
            serde_json::from_str(&p)
                .map(|v| (ts, v))
                .map_err(|e| RegistryError::CorruptRow {
                    path: self.path.clone(),
                    id: run.into(),
                    column: "payload",
                    message: e.to_string(),
                })
        })
        .transpose()
    }

    /// A run's events in order, optionally of one kind.
    pub fn events(
        &self,
        run: &str,
        kind: Option<&str>,
    ) -> Result<Vec<JournalEvent>, RegistryError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, kind, bar_ts, ref, payload, at_ms FROM exec_events WHERE run = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY seq")
            .map_err(self.sql())?;
        let rows = st
            .query_map(params![run, kind], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, kind, bar_ts, reference, payload, at_ms) = row.map_err(self.sql())?;
            let payload =
                serde_json::from_str(&payload).map_err(|e| RegistryError::CorruptRow {
                    path: self.path.clone(),
                    id: seq.to_string(),
                    column: "payload",
                    message: e.to_string(),
                })?;
            out.push(JournalEvent {
                seq,
                kind,
                bar_ts,
                reference,
                payload,
                at_ms,
            });
        }
        Ok(out)
    }

    pub fn runs(&self) -> Result<Vec<JournalRun>, RegistryError> {
        let mut st = self
            .conn
            .prepare("SELECT r.run, r.mode, r.config, r.created_ms, (SELECT count(*) FROM exec_events e WHERE e.run = r.run) FROM exec_runs r ORDER BY r.created_ms, r.run")
            .map_err(self.sql())?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(self.sql())?;
        let mut out = Vec::new();
        for row in rows {
            let (run, mode, config, created_ms, events) = row.map_err(self.sql())?;
            let config = serde_json::from_str(&config).map_err(|e| RegistryError::CorruptRow {
                path: self.path.clone(),
                id: run.clone(),
                column: "config",
                message: e.to_string(),
            })?;
            out.push(JournalRun {
                run,
                mode,
                config,
                created_ms,
                events,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(kind: &str, ts: i64, r: Option<&str>, p: Value) -> NewEvent {
        NewEvent {
            kind: kind.into(),
            bar_ts: ts,
            reference: r.map(str::to_string),
            payload: p,
        }
    }

    #[test]
    fn intents_are_idempotent_and_divergence_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        let mut j = OrderJournal::open(&path).unwrap();
        assert!(!j.begin_run("r1", "paper", &json!({"a": 1})).unwrap());
        let id = client_order_id("r1", 3_600_000, 0, "buy").unwrap();
        assert!(
            id.len() <= 36 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{id}"
        );
        assert_eq!(id, client_order_id("r1", 3_600_000, 0, "buy").unwrap());
        assert_ne!(id, client_order_id("r1", 3_600_000, 0, "sell").unwrap());
        assert_ne!(id, client_order_id("r2", 3_600_000, 0, "buy").unwrap());
        assert_eq!(
            j.append(
                "r1",
                &[ev("intent", 3_600_000, Some(&id), json!({"price": 1.5}))]
            )
            .unwrap(),
            vec![true]
        );
        // A retry after a crash writes nothing new.
        assert_eq!(
            j.append(
                "r1",
                &[ev("intent", 3_600_000, Some(&id), json!({"price": 1.5}))]
            )
            .unwrap(),
            vec![false]
        );
        let e = j
            .append(
                "r1",
                &[ev("intent", 3_600_000, Some(&id), json!({"price": 2.0}))],
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("diverged"), "{e}");
        // One transaction: a bad event leaves none of its batch behind.
        let e = j
            .append(
                "r1",
                &[
                    ev("fill", 3_600_000, Some("f1"), json!({})),
                    ev("nope", 0, None, json!({})),
                ],
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope"), "{e}");
        assert!(j.events("r1", Some("fill")).unwrap().is_empty());
        j.append(
            "r1",
            &[ev("state", 3_600_000, Some("3600000"), json!({"bar": 1}))],
        )
        .unwrap();
        j.append(
            "r1",
            &[ev("state", 7_200_000, Some("7200000"), json!({"bar": 2}))],
        )
        .unwrap();
        drop(j);
        let j = OrderJournal::open(&path).unwrap();
        assert!(j.begin_run("r1", "paper", &json!({"a": 1})).unwrap());
        assert!(j.begin_run("r1", "paper", &json!({"a": 2})).is_err());
        assert!(j.begin_run("r1", "live", &json!({"a": 1})).is_err());
        assert_eq!(
            j.latest_state("r1").unwrap(),
            Some((7_200_000, json!({"bar": 2})))
        );
        assert_eq!(j.events("r1", None).unwrap().len(), 3);
        // Append-only, even through SQL.
        assert!(j.conn.execute("DELETE FROM exec_events", []).is_err());
        assert!(j
            .conn
            .execute("UPDATE exec_events SET payload = '{}'", [])
            .is_err());
        assert_eq!(j.runs().unwrap()[0].events, 3);
    }
}
