//! The SQLite file: open (WAL, busy timeout, migrations), insert, list, get, compare.
use crate::error::RegistryError;
use crate::input::RunInput;
use crate::record::{Comparison, RunFilter, RunRecord, Window};
use crate::schema::{migrate, Migrated, SCHEMA_VERSION};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};
use serde_json::Value;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a writer waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

pub struct Registry {
    conn: Connection,
    path: PathBuf,
}

/// A file with tables but no tradelab schema version belongs to another program: say so, list
/// its tables (names only), and leave it untouched.
fn refuse_foreign(conn: &Connection, path: &Path) -> Result<(), RegistryError> {
    let sql = |source| RegistryError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    // One statement, one snapshot: a concurrent first open that is creating the schema is seen
    // either not at all or completely.
    let (version, names): (i64, Option<String>) = conn
        .query_row(
            "SELECT (SELECT user_version FROM pragma_user_version), \
                    (SELECT group_concat(name, char(31)) FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(sql)?;
    if version > 0 {
        return Ok(());
    }
    let tables: Vec<String> = names
        .map(|n| n.split('\u{1f}').map(str::to_string).collect())
        .unwrap_or_default();
    if tables.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = tables
        .iter()
        .take(5)
        .map(|t| tradelab_core_cap(t, 40))
        .collect();
    Err(RegistryError::Foreign {
        path: path.to_path_buf(),
        tables: format!(
            "{}{}",
            shown.join(", "),
            if tables.len() > 5 {
                format!(" and {} more", tables.len() - 5)
            } else {
                String::new()
            }
        ),
    })
}

fn tradelab_core_cap(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

const COLUMNS: &str = "id, kind, created_at, symbols, interval, split, eval_first, eval_last, assumptions, config, data_hash, code_version, \
     metrics, artifacts, notes, parent, environment";

impl Registry {
    /// Opens (creating if needed) the registry file and brings its schema up to date.
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
        let mut conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // Another program's SQLite file is refused before anything (journal mode, tables) is
        // changed in it.
        refuse_foreign(&conn, &path)?;
        // WAL: readers never block the writer and concurrent CLI processes only queue on writes.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sql)?;
        match migrate(&mut conn).map_err(sql)? {
            Migrated::Ok => Ok(Registry { conn, path }),
            Migrated::Newer(found) => Err(RegistryError::NewerSchema {
                path,
                found,
                supported: SCHEMA_VERSION,
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn sql_error(&self, source: rusqlite::Error) -> RegistryError {
        self.sql(source)
    }

    fn sql(&self, source: rusqlite::Error) -> RegistryError {
        RegistryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Records one run and returns it as stored (with its new id).
    pub fn insert(&self, run: &RunInput) -> Result<RunRecord, RegistryError> {
        // The parent must exist; a unique prefix is stored as the full id.
        let parent = match &run.parent {
            Some(p) => Some(
                self.get(p)
                    .map_err(|e| RegistryError::field("parent", e.to_string()))?
                    .id,
            ),
            None => None,
        };
        let created_at = run
            .created_at
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let text = |v: &Value| v.to_string();
        for attempt in 0..16u32 {
            let id = new_id(created_at, attempt);
            let res = self.conn.execute(
                &format!("INSERT INTO runs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
                params![
                    id,
                    run.kind,
                    created_at,
                    serde_json::to_string(&run.symbols).unwrap_or_else(|_| "[]".into()),
                    run.interval,
                    run.split,
                    run.window.map(|w| w.0),
                    run.window.map(|w| w.1),
                    run.assumptions.as_ref().map(text),
                    text(&run.config),
                    run.data_hash,
                    run.code_version,
                    text(&run.metrics),
                    text(&run.artifacts),
                    run.notes,
                    parent,
                    run.environment.as_ref().map(text),
                ],
            );
            match res {
                Ok(_) => return self.get(&id),
                // An id collision (same second, same random suffix): draw another suffix.
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == ErrorCode::ConstraintViolation =>
                {
                    continue
                }
                Err(e) => return Err(self.sql(e)),
            }
        }
        Err(RegistryError::BadInput(
            "could not allocate a unique run id".into(),
        ))
    }

    /// Runs matching the filter, newest first.
    pub fn list(&self, f: &RunFilter) -> Result<Vec<RunRecord>, RegistryError> {
        let limit = f.limit.map(i64::from).unwrap_or(-1);
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM runs
                 WHERE (?1 IS NULL OR kind = ?1)
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(runs.symbols) WHERE value = ?2))
                 ORDER BY created_at DESC, id DESC LIMIT ?3"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![f.kind, f.symbol, limit], raw_row)
            .map_err(|e| self.sql(e))?;
        rows.map(|r| r.map_err(|e| self.sql(e)).and_then(|raw| self.decode(raw)))
            .collect()
    }

    /// One run by its full id or a unique prefix of it.
    pub fn get(&self, id: &str) -> Result<RunRecord, RegistryError> {
        let one = |sql: &str, arg: &str| {
            self.conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM runs WHERE {sql}"),
                    [arg],
                    raw_row,
                )
                .optional()
                .map_err(|e| self.sql(e))
        };
        if let Some(raw) = one("id = ?1", id)? {
            return self.decode(raw);
        }
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 6")
            .map_err(|e| self.sql(e))?;
        let ids: Vec<String> = stmt
            .query_map([id], |r| r.get(0))
            .map_err(|e| self.sql(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(e))?;
        match ids.as_slice() {
            [] => Err(RegistryError::NotFound(id.to_string())),
            [only] => one("id = ?1", only)?
                .map(|raw| self.decode(raw))
                .unwrap_or_else(|| Err(RegistryError::NotFound(id.to_string()))),
            _ => Err(RegistryError::Ambiguous {
                prefix: id.to_string(),
                candidates: ids,
            }),
        }
    }

    /// Several runs (ids or unique prefixes) side by side, with their numeric metrics as rows.
    pub fn compare(&self, ids: &[String]) -> Result<Comparison, RegistryError> {
        if ids.is_empty() {
            return Err(RegistryError::BadInput(
                "compare needs at least one run id".into(),
            ));
        }
        let runs = ids
            .iter()
            .map(|id| self.get(id))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Comparison::of(runs))
    }

    fn decode(&self, r: RawRow) -> Result<RunRecord, RegistryError> {
        let json = |column: &'static str, text: &str| {
            serde_json::from_str::<Value>(text).map_err(|e| RegistryError::CorruptRow {
                path: self.path.clone(),
                id: r.id.clone(),
                column,
                message: e.to_string(),
            })
        };
        let symbols = json("symbols", &r.symbols)?;
        let symbols = symbols
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok(RunRecord {
            kind: r.kind.clone(),
            created_at: r.created_at,
            symbols,
            interval: r.interval.clone(),
            split: r.split.clone(),
            window: match (r.eval_first, r.eval_last) {
                (Some(first), Some(last)) => Some(Window { first, last }),
                _ => None,
            },
            assumptions: r
                .assumptions
                .as_deref()
                .map(|t| json("assumptions", t))
                .transpose()?,
            config: json("config", &r.config)?,
            data_hash: r.data_hash.clone(),
            code_version: r.code_version.clone(),
            environment: r
                .environment
                .as_deref()
                .map(|t| json("environment", t))
                .transpose()?,
            metrics: json("metrics", &r.metrics)?,
            artifacts: json("artifacts", &r.artifacts)?,
            notes: r.notes.clone(),
            parent: r.parent.clone(),
            id: r.id,
        })
    }
}

struct RawRow {
    id: String,
    kind: String,
    created_at: i64,
    symbols: String,
    interval: Option<String>,
    split: Option<String>,
    eval_first: Option<i64>,
    eval_last: Option<i64>,
    assumptions: Option<String>,
    config: String,
    data_hash: Option<String>,
    code_version: Option<String>,
    metrics: String,
    artifacts: String,
    notes: Option<String>,
    parent: Option<String>,
    environment: Option<String>,
}

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        created_at: r.get(2)?,
        symbols: r.get(3)?,
        interval: r.get(4)?,
        split: r.get(5)?,
        eval_first: r.get(6)?,
        eval_last: r.get(7)?,
        assumptions: r.get(8)?,
        config: r.get(9)?,
        data_hash: r.get(10)?,
        code_version: r.get(11)?,
        metrics: r.get(12)?,
        artifacts: r.get(13)?,
        notes: r.get(14)?,
        parent: r.get(15)?,
        environment: r.get(16)?,
    })
}

/// `r-YYYYMMDD-HHMMSS-xxxx`: sortable by time, with a random suffix against same-second collisions.
fn new_id(created_at: i64, attempt: u32) -> String {
    let t = chrono::DateTime::from_timestamp_millis(created_at).unwrap_or_default();
    let mut h = RandomState::new().build_hasher();
    h.write_u32(attempt);
    h.write_u32(std::process::id());
    h.write_i64(created_at);
    format!(
        "r-{}-{:04x}",
        t.format("%Y%m%d-%H%M%S"),
        h.finish() & 0xffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(kind: &str, symbol: &str, created_at: i64, sortino: f64) -> RunInput {
        RunInput::from_value(&json!({
            "kind": kind, "symbols": [symbol], "interval": "1h", "split": "full",
            "window": { "first": 1_704_067_200_000i64, "last": 1_727_737_200_000i64 },
            "assumptions": { "decisionLag": 1, "fillRule": "touch", "text": "lag 1" },
            "config": { "strategy": { "kind": "band" } }, "dataHash": "sha256:abc", "codeVersion": "0.1.0+deadbee",
            "metrics": { "totalReturn": 0.1, "sortino": sortino, "label": "x" }, "artifacts": { "out": "o.parquet" },
            "createdAt": created_at
        }))
        .unwrap()
    }

    #[test]
    fn insert_list_get_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/runs.sqlite");
        let a = {
            let reg = Registry::open(&path).unwrap();
            let a = reg
                .insert(&run("backtest", "BTC/USDT", 1_000, 1.0))
                .unwrap();
            reg.insert(&run("sweep", "SOL/USDT", 2_000, 2.0)).unwrap();
            a
        };
        assert!(a.id.starts_with("r-19700101-000001-"), "{}", a.id);
        assert_eq!(
            a.window,
            Some(Window {
                first: 1_704_067_200_000,
                last: 1_727_737_200_000
            })
        );
        assert_eq!(a.metrics["sortino"], json!(1.0));
        // Reopening keeps the rows and does not re-run migrations.
        let reg = Registry::open(&path).unwrap();
        let all = reg.list(&RunFilter::default()).unwrap();
        assert_eq!(
            all.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
            ["sweep", "backtest"]
        );
        assert_eq!(
            reg.list(&RunFilter {
                kind: Some("backtest".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
            1
        );
        assert_eq!(
            reg.list(&RunFilter {
                symbol: Some("SOL/USDT".into()),
                ..Default::default()
            })
            .unwrap()[0]
                .kind,
            "sweep"
        );
        assert_eq!(
            reg.list(&RunFilter {
                symbol: Some("ETH/USDT".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
            0
        );
        assert_eq!(
            reg.list(&RunFilter {
                limit: Some(1),
                ..Default::default()
            })
            .unwrap()
            .len(),
            1
        );
        assert_eq!(reg.get(&a.id).unwrap(), a);
        assert_eq!(reg.get(&a.id[..20]).unwrap().id, a.id);
        let v: i64 = reg
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn get_reports_missing_and_ambiguous_prefixes() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("r.sqlite")).unwrap();
        reg.insert(&run("backtest", "BTC/USDT", 5_000, 1.0))
            .unwrap();
        reg.insert(&run("backtest", "BTC/USDT", 5_000, 1.0))
            .unwrap();
        assert!(matches!(
            reg.get("r-19700101"),
            Err(RegistryError::Ambiguous { .. })
        ));
        assert!(matches!(reg.get("r-2099"), Err(RegistryError::NotFound(_))));
        assert!(matches!(reg.get("%"), Err(RegistryError::NotFound(_))));
        let e = reg
            .insert(&RunInput {
                parent: Some("r-nope".into()),
                ..run("eval", "BTC/USDT", 6_000, 1.0)
            })
            .unwrap_err();
        assert!(e.to_string().contains("`parent`"), "{e}");
        let a = reg
            .insert(&run("train", "BTC/USDT", 90_000_000, 1.0))
            .unwrap();
        let child = reg
            .insert(&RunInput {
                parent: Some(a.id[..20].into()),
                ..run("eval", "BTC/USDT", 90_000_001, 1.0)
            })
            .unwrap();
        assert_eq!(child.parent.as_deref(), Some(a.id.as_str()));
        let e = reg
            .insert(&RunInput {
                parent: Some("r-19700101".into()),
                ..run("eval", "BTC/USDT", 6_000, 1.0)
            })
            .unwrap_err();
        assert!(e.to_string().contains("`parent`"), "{e}");
    }

    #[test]
    fn compare_lines_up_numeric_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("r.sqlite")).unwrap();
        let a = reg
            .insert(&run("backtest", "BTC/USDT", 1_000, 1.0))
            .unwrap();
        let mut b = run("eval", "BTC/USDT", 2_000, 2.0);
        b.metrics = json!({ "sortino": 2.0, "extra": 3 });
        let b = reg.insert(&b).unwrap();
        let c = reg.compare(&[a.id.clone(), b.id.clone()]).unwrap();
        let rows: Vec<(&str, Vec<Option<f64>>)> = c
            .metrics
            .iter()
            .map(|m| (m.metric.as_str(), m.values.clone()))
            .collect();
        assert_eq!(
            rows,
            [
                ("sortino", vec![Some(1.0), Some(2.0)]),
                ("totalReturn", vec![Some(0.1), None]),
                ("extra", vec![None, Some(3.0)])
            ]
        );
        assert!(reg.compare(&[]).is_err());
    }

    #[test]
    fn environment_is_stored_and_compare_shows_where_it_differs() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("r.sqlite")).unwrap();
        let env = |cpu: &str, simd: &str, torch: &str| json!({ "cpu": cpu, "simd": simd, "threads": 2, "libtorch": { "version": torch } });
        let with = |e: Value, at: i64| RunInput {
            environment: Some(e),
            ..run("train", "SOL/USDT", at, 1.0)
        };
        let a = reg
            .insert(&with(env("AMD EPYC", "avx512", "2.11.0+cu130"), 1_000))
            .unwrap();
        assert_eq!(
            reg.get(&a.id).unwrap().environment,
            Some(env("AMD EPYC", "avx512", "2.11.0+cu130"))
        );
        let b = reg
            .insert(&with(env("Intel Xeon", "avx2", "2.11.0+cu130"), 2_000))
            .unwrap();
        let c = reg
            .insert(&with(env("AMD EPYC", "avx512", "2.11.0+cu130"), 3_000))
            .unwrap();
        let old = reg
            .insert(&run("backtest", "SOL/USDT", 4_000, 1.0))
            .unwrap();
        assert_eq!(old.environment, None);

        let diff = reg.compare(&[a.id.clone(), b.id.clone()]).unwrap();
        let rows: Vec<(&str, Vec<Option<&str>>)> = diff
            .environment
            .iter()
            .map(|r| {
                (
                    r.field.as_str(),
                    r.values.iter().map(Option::as_deref).collect(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("cpu", vec![Some("AMD EPYC"), Some("Intel Xeon")]),
                ("simd", vec![Some("avx512"), Some("avx2")])
            ]
        );
        assert!(!diff.same_environment);

        let same = reg.compare(&[a.id.clone(), c.id.clone()]).unwrap();
        assert!(same.environment.is_empty() && same.same_environment);
        // A run recorded before environments were: no rows of its own, and not "same".
        let partial = reg
            .compare(&[a.id.clone(), c.id.clone(), old.id.clone()])
            .unwrap();
        assert!(partial.environment.is_empty() && !partial.same_environment);
        let j = serde_json::to_value(&diff).unwrap();
        assert_eq!(j["sameEnvironment"], json!(false));
        assert_eq!(j["environment"][0]["field"], json!("cpu"));
    }

    #[test]
    fn concurrent_writers_from_two_threads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    // Each thread opens its own connection, as separate CLI processes would.
                    let reg = Registry::open(&path).unwrap();
                    for i in 0..50 {
                        reg.insert(&run("backtest", "BTC/USDT", 1_000 + i, t as f64))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            Registry::open(&path)
                .unwrap()
                .list(&RunFilter::default())
                .unwrap()
                .len(),
            100
        );
    }

    #[test]
    fn another_programs_sqlite_is_refused_untouched() {
        // Audit #116: its CREATE TABLE was dumped and its journal switched to WAL.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wrongschema.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE runs(x); INSERT INTO runs VALUES (1);")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        let e = Registry::open(&path)
            .err()
            .expect("must refuse")
            .to_string();
        assert!(
            e.contains("wrongschema.sqlite")
                && e.contains("not a tradelab run registry")
                && e.contains("runs"),
            "{e}"
        );
        assert!(!e.contains("CREATE TABLE"), "{e}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "the file must be left unchanged"
        );
        assert!(!dir.path().join("wrongschema.sqlite-wal").exists());
    }

    #[test]
    fn corrupt_rows_and_newer_schemas_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let reg = Registry::open(&path).unwrap();
        let a = reg
            .insert(&run("backtest", "BTC/USDT", 1_000, 1.0))
            .unwrap();
        reg.conn
            .execute("UPDATE runs SET metrics = '{oops' WHERE id = ?1", [&a.id])
            .unwrap();
        let e = reg.get(&a.id).unwrap_err().to_string();
        assert!(e.contains("column `metrics`") && e.contains(&a.id), "{e}");
        reg.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(reg);
        assert!(matches!(
            Registry::open(&path),
            Err(RegistryError::NewerSchema { .. })
        ));
    }
}
