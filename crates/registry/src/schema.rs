//! Versioned schema: `PRAGMA user_version` holds the version; each migration runs once, in order,
//! inside an IMMEDIATE transaction so two processes opening a fresh file never both apply it.
use rusqlite::{Connection, TransactionBehavior};

/// Current schema version (the number of migrations below).
pub const SCHEMA_VERSION: i64 = 4;

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
    // 3: the run journal (seed 004): studies with their verdict thresholds, entries
    // (hypothesis / what ran / what I saw / what's next) and verdicts. One test-split verdict
    // per study, enforced by a partial unique index so two processes cannot both record one.
    "CREATE TABLE journal_studies (
        name        TEXT PRIMARY KEY,
        split       TEXT NOT NULL,
        thresholds  TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
     );
     CREATE TABLE journal_entries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        study       TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        hypothesis  TEXT NOT NULL,
        run_ids     TEXT NOT NULL,
        saw         TEXT,
        next        TEXT
     );
     CREATE INDEX journal_entries_study ON journal_entries (study, created_at);
     CREATE TABLE journal_verdicts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        study       TEXT NOT NULL,
        run_id      TEXT NOT NULL,
        split       TEXT NOT NULL,
        run_split   TEXT,
        verdict     TEXT NOT NULL,
        checks      TEXT NOT NULL,
        created_at  INTEGER NOT NULL
     );
     CREATE INDEX journal_verdicts_study ON journal_verdicts (study, created_at);
     CREATE UNIQUE INDEX journal_verdicts_one_test ON journal_verdicts (study) WHERE split = 'test';",
    // 4: what a run's numbers depend on beyond config, seed and data (CPU model, SIMD level,
    // threads, libtorch version and build, device, deterministic mode), as JSON; NULL for runs
    // recorded before it existed.
    "ALTER TABLE runs ADD COLUMN environment TEXT;",
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
