//! Versioned schema: `PRAGMA user_version` holds the version; each migration runs once, in order,
//! inside an IMMEDIATE transaction so two processes opening a fresh file never both apply it.
use rusqlite::{Connection, TransactionBehavior};

/// Current schema version (the number of migrations below).
pub const SCHEMA_VERSION: i64 = 2;

const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 1: the runs table.
    "CREATE TABLE runs (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        symbols      TEXT NOT NULL,
        interval     TEXT,
        split        TEXT,
        eval_first   INTEGER,
        eval_last    INTEGER,
        assumptions  TEXT,
        config       TEXT NOT NULL,
        data_hash    TEXT,
        code_version TEXT,
        metrics      TEXT NOT NULL,
        artifacts    TEXT NOT NULL,
        notes        TEXT,
        parent       TEXT
     );
     CREATE INDEX runs_created ON runs (created_at);
     CREATE INDEX runs_kind ON runs (kind, created_at);",
    // 2: the global test lock: one row per symbol of every look at a test window.
    "CREATE TABLE test_looks (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        symbol              TEXT NOT NULL,
        interval            TEXT NOT NULL,
        test_start          INTEGER NOT NULL,
        test_end            INTEGER NOT NULL,
        data_hash           TEXT,
        command             TEXT NOT NULL,
        at                  INTEGER NOT NULL,
        acknowledged_burned INTEGER NOT NULL
     );
     CREATE INDEX test_looks_symbol ON test_looks (symbol, interval);",
];

pub enum Migrated {
    Ok,
    Newer(i64),
}

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Ok(Migrated::Newer(version));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(Migrated::Ok)
}
