//! The run journal (seed 004's "Run Journal"): per study, entries of hypothesis / what ran (run
//! ids that exist in the registry) / what I saw / what's next, and verdicts. A verdict is not
//! typed in: it is measured from a run's stored metrics against the thresholds configured for
//! the study, on the study's named split, and refused when the run was measured on another split
//! or lacks a metric. A study gets one test-split verdict, ever; after it the study's thresholds
//! and split are frozen.
use crate::error::RegistryError;
use crate::input::type_name;
use crate::record::RunRecord;
use crate::registry::Registry;
use rusqlite::{params, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// Error codes of journal refusals (`RegistryError::Journal`).
pub const JOURNAL_BAD_INPUT: &str = "JOURNAL_BAD_INPUT";
pub const JOURNAL_NO_STUDY: &str = "JOURNAL_NO_STUDY";
pub const JOURNAL_SPLIT_MISMATCH: &str = "JOURNAL_SPLIT_MISMATCH";
pub const JOURNAL_MISSING_METRIC: &str = "JOURNAL_MISSING_METRIC";
pub const JOURNAL_TEST_VERDICT_RECORDED: &str = "JOURNAL_TEST_VERDICT_RECORDED";
pub const JOURNAL_TEST_BURNED: &str = "JOURNAL_TEST_BURNED";
pub const JOURNAL_STUDY_FROZEN: &str = "JOURNAL_STUDY_FROZEN";
pub const JOURNAL_METRIC_NOT_MEANINGFUL: &str = "JOURNAL_METRIC_NOT_MEANINGFUL";

/// Metrics that annualise: not meaningful on a window under about 3 months of bars, which the
/// simulator records as `annualisedMeaningful: false`.
const ANNUALISED: [&str; 2] = ["annualisedReturn", "calmar"];

const MAX_NAME: usize = 100;

/// Bad journal input, naming the field: `journal: \`thresholds.sharpe\`: ...`.
fn bad(field: impl fmt::Display, message: impl fmt::Display) -> RegistryError {
    refused(JOURNAL_BAD_INPUT, format!("journal: `{field}`: {message}"))
}

fn refused(code: &'static str, message: impl Into<String>) -> RegistryError {
    RegistryError::Journal {
        code,
        message: message.into(),
    }
}

/// A comparison of a measured metric against a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "<")]
    Lt,
}

impl Op {
    fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Op::Ge => measured >= bound,
            Op::Gt => measured > bound,
            Op::Le => measured <= bound,
            Op::Lt => measured < bound,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// One threshold: `metric op value`, e.g. `sharpe >= 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    pub metric: String,
    pub op: Op,
    pub value: f64,
}

/// Metrics the registry stores as non-negative magnitudes: a negative lower bound on one of them
/// always passes, which is a mis-typed threshold, not a test.
const MAGNITUDES: [&str; 2] = ["maxDrawdown", "maxDrawdownBars"];

impl Threshold {
    /// Parses `">=1"`, `"<= 0.2"`, `"> -0.5"` for `metric`; errors name `thresholds.<metric>`.
    pub fn parse(metric: &str, text: &str) -> Result<Threshold, RegistryError> {
        let field = format!("thresholds.{metric}");
        if metric.trim().is_empty() {
            return Err(bad("thresholds", "a metric name is empty"));
        }
        let t = text.trim();
        let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
            .iter()
            .find_map(|(p, op)| t.strip_prefix(p).map(|r| (*op, r.trim())))
            .ok_or_else(|| {
                bad(
                    &field,
                    format!("expected '<op><number>' with op one of >=, >, <=, < (got '{text}')"),
                )
            })?;
        let value: f64 = rest
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                bad(
                    &field,
                    format!("'{rest}' is not a finite number (write fractions: 0.10 for 10 %)"),
                )
            })?;
        if MAGNITUDES.contains(&metric) && value < 0.0 && matches!(op, Op::Ge | Op::Gt) {
            return Err(bad(
                &field,
                format!(
                    "{metric} is stored as a positive fraction (0.305 = a 30.5 % fall), so '{text}' always passes; \
                     write '<={}' for a drawdown no worse than -{} %",
                    -value,
                    -value * 100.0
                ),
            ));
        }
        Ok(Threshold {
            metric: metric.to_string(),
            op,
            value,
        })
    }

    /// `{"sharpe": ">=1", "maxDrawdown": "<=0.2"}` (JSON text), in metric-name order.
    pub fn parse_all(json: &str) -> Result<Vec<Threshold>, RegistryError> {
        let v: Value = serde_json::from_str(json)
            .map_err(|e| bad("thresholds", format!("not valid JSON: {e}")))?;
        let m = v.as_object().ok_or_else(|| {
            bad(
                "thresholds",
                format!(
                    "expected an object of metric -> \"<op><number>\", got {}",
                    type_name(&v)
                ),
            )
        })?;
        if m.is_empty() {
            return Err(bad("thresholds", "no thresholds given"));
        }
        m.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Threshold::parse(k, s),
                other => Err(bad(
                    format!("thresholds.{k}"),
                    format!("expected a string like \">=1\", got {}", type_name(other)),
                )),
            })
            .collect()
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.metric, self.op, self.value)
    }
}

/// A study's verdict rule: thresholds measured on one named split.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Study {
    pub name: String,
    pub split: String,
    pub thresholds: Vec<Threshold>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What `journal add` records.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryInput {
    pub study: String,
    pub hypothesis: String,
    /// Run ids or unique prefixes; stored as full ids.
    pub runs: Vec<String>,
    pub saw: Option<String>,
    pub next: Option<String>,
    /// Epoch ms; now when absent.
    pub created_at: Option<i64>,
}

/// One stored journal entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: i64,
    pub study: String,
    pub created_at: i64,
    pub hypothesis: String,
    pub runs: Vec<String>,
    pub saw: Option<String>,
    pub next: Option<String>,
}

/// One threshold as measured on a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub metric: String,
    pub op: Op,
    pub threshold: f64,
    pub measured: f64,
    pub pass: bool,
}

/// A recorded verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub id: i64,
    pub study: String,
    pub run_id: String,
    /// The study's split it was judged on.
    pub split: String,
    /// The run's own split label (e.g. `val (selection window (best of 4))`).
    pub run_split: Option<String>,
    /// `VALIDATED` or `REJECTED`.
    pub verdict: String,
    pub checks: Vec<Check>,
    pub created_at: i64,
}

/// One study's journal: its rule, entries and verdicts (newest first), and every run they name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StudyJournal {
    pub name: String,
    pub study: Option<Study>,
    pub entries: Vec<Entry>,
    pub verdicts: Vec<Verdict>,
    pub runs: BTreeMap<String, RunRecord>,
}

fn check_name(field: &str, s: &str) -> Result<String, RegistryError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(bad(field, "empty"));
    }
    if t.chars().count() > MAX_NAME || t.chars().any(char::is_control) {
        return Err(bad(
            field,
            format!("at most {MAX_NAME} characters, no control characters"),
        ));
    }
    Ok(t.to_string())
}

fn check_split(s: &str) -> Result<String, RegistryError> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(bad(
            "split",
            format!("'{s}' is not a split name (train, val, test, or a named window)"),
        ));
    }
    Ok(t.to_string())
}

fn opt_text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The split word of a run's split label: `val (selection window ...)` -> `val`.
fn split_base(label: &str) -> &str {
    label.split(" (").next().unwrap_or(label).trim()
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| ms.to_string())
}

struct RawEntry {
    id: i64,
    study: String,
    created_at: i64,
    hypothesis: String,
    run_ids: String,
    saw: Option<String>,
    next: Option<String>,
}

fn raw_entry(r: &Row<'_>) -> rusqlite::Result<RawEntry> {
    Ok(RawEntry {
        id: r.get(0)?,
        study: r.get(1)?,
        created_at: r.get(2)?,
        hypothesis: r.get(3)?,
        run_ids: r.get(4)?,
        saw: r.get(5)?,
        next: r.get(6)?,
    })
}

struct RawVerdict {
    id: i64,
    study: String,
    run_id: String,
    split: String,
    run_split: Option<String>,
    verdict: String,
    checks: String,
    created_at: i64,
}

fn raw_verdict(r: &Row<'_>) -> rusqlite::Result<RawVerdict> {
    Ok(RawVerdict {
        id: r.get(0)?,
        study: r.get(1)?,
        run_id: r.get(2)?,
        split: r.get(3)?,
        run_split: r.get(4)?,
        verdict: r.get(5)?,
        checks: r.get(6)?,
        created_at: r.get(7)?,
    })
}

const ENTRY_COLUMNS: &str = "id, study, created_at, hypothesis, run_ids, saw, next";
const VERDICT_COLUMNS: &str = "id, study, run_id, split, run_split, verdict, checks, created_at";

/// Measures `thresholds` on a run's stored metrics; every metric that is missing or not a finite
/// number is named at once.
pub fn measure(run: &RunRecord, thresholds: &[Threshold]) -> Result<Vec<Check>, RegistryError> {
    if run.metrics.get("annualisedMeaningful") == Some(&Value::Bool(false)) {
        if let Some(t) = thresholds
            .iter()
            .find(|t| ANNUALISED.contains(&t.metric.as_str()))
        {
            let bars = run
                .metrics
                .get("bars")
                .and_then(Value::as_u64)
                .map(|b| format!(" ({b} bars)"))
                .unwrap_or_default();
            return Err(refused(
                JOURNAL_METRIC_NOT_MEANINGFUL,
                format!(
                    "run {}: `{}` is not meaningful on its window{bars}: under about 3 months of bars an annualised figure extrapolates noise. \
                     Judge this study on a longer split, or drop that threshold",
                    run.id, t.metric
                ),
            ));
        }
    }
    let mut missing = Vec::new();
    let mut checks = Vec::new();
    for t in thresholds {
        match run.metrics.get(&t.metric) {
            Some(Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => {
                let measured = n.as_f64().unwrap_or(f64::NAN);
                checks.push(Check {
                    metric: t.metric.clone(),
                    op: t.op,
                    threshold: t.value,
                    measured,
                    pass: t.op.holds(measured, t.value),
                });
            }
            None => missing.push(format!("`{}` (not stored)", t.metric)),
            Some(v) => missing.push(format!(
                "`{}` ({}, not a finite number)",
                t.metric,
                if v.is_null() {
                    "null: NaN or infinite when measured".to_string()
                } else {
                    type_name(v).to_string()
                }
            )),
        }
    }
    if !missing.is_empty() {
        let stored: Vec<&str> = run
            .metrics
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_number())
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        return Err(refused(
            JOURNAL_MISSING_METRIC,
            format!(
                "run {} has no usable metric {}: a verdict needs every threshold measured (its numeric metrics: {})",
                run.id,
                missing.join(", "),
                if stored.is_empty() { "none".to_string() } else { stored.join(", ") }
            ),
        ));
    }
    Ok(checks)
}

impl Registry {
    fn tx(&self) -> Result<Transaction<'_>, RegistryError> {
        Transaction::new_unchecked(self.conn(), TransactionBehavior::Immediate)
            .map_err(|e| self.sql_error(e))
    }

    fn test_verdict(&self, study: &str) -> Result<Option<Verdict>, RegistryError> {
        let raw = self
            .conn()
            .query_row(&format!("SELECT {VERDICT_COLUMNS} FROM journal_verdicts WHERE study = ?1 AND split = 'test'"), [study], raw_verdict)
            .optional()
            .map_err(|e| self.sql_error(e))?;
        raw.map(|r| self.decode_verdict(r)).transpose()
    }

    /// Configures (or reconfigures) a study's thresholds and split. Refused once the study has
    /// its test verdict: the rule that verdict was measured against stays the rule.
    pub fn journal_set_study(
        &self,
        name: &str,
        split: &str,
        thresholds: &[Threshold],
    ) -> Result<Study, RegistryError> {
        let name = check_name("study", name)?;
        let split = check_split(split)?;
        if thresholds.is_empty() {
            return Err(bad("thresholds", "no thresholds given"));
        }
        let text = serde_json::to_string(thresholds)
            .map_err(|e| RegistryError::BadInput(e.to_string()))?;
        let tx = self.tx()?;
        if let Some(v) = self.test_verdict(&name)? {
            let current = self.journal_study(&name)?;
            let same = current
                .as_ref()
                .is_some_and(|s| s.split == split && s.thresholds == thresholds);
            if !same {
                return Err(refused(
                    JOURNAL_STUDY_FROZEN,
                    format!(
                        "study '{name}' already has its test verdict ({} on run {} at {} UTC): its thresholds and split are frozen; start a new study to test another rule",
                        v.verdict,
                        v.run_id,
                        iso(v.created_at)
                    ),
                ));
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        tx.execute(
            "INSERT INTO journal_studies (name, split, thresholds, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(name) DO UPDATE SET split = excluded.split, thresholds = excluded.thresholds, updated_at = excluded.updated_at",
            params![name, split, text, now],
        )
        .map_err(|e| self.sql_error(e))?;
        tx.commit().map_err(|e| self.sql_error(e))?;
        self.journal_study(&name)?.ok_or_else(|| {
            RegistryError::BadInput(format!("study '{name}' vanished after being written"))
        })
    }

    /// A study's configured rule, if any.
    pub fn journal_study(&self, name: &str) -> Result<Option<Study>, RegistryError> {
        let row: Option<(String, String, String, i64, i64)> = self
            .conn()
            .query_row("SELECT name, split, thresholds, created_at, updated_at FROM journal_studies WHERE name = ?1", [name.trim()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .map_err(|e| self.sql_error(e))?;
        row.map(|(name, split, thresholds, created_at, updated_at)| {
            let thresholds =
                serde_json::from_str(&thresholds).map_err(|e| RegistryError::CorruptRow {
                    path: self.path().to_path_buf(),
                    id: format!("study {name}"),
                    column: "thresholds",
                    message: e.to_string(),
                })?;
            Ok(Study {
                name,
                split,
                thresholds,
                created_at,
                updated_at,
            })
        })
        .transpose()
    }

    /// Records an entry; every run id must name a stored run (unique prefixes are expanded).
    pub fn journal_add(&self, input: &EntryInput) -> Result<Entry, RegistryError> {
        let study = check_name("study", &input.study)?;
        let hypothesis = input.hypothesis.trim();
        if hypothesis.is_empty() {
            return Err(bad("hypothesis", "empty: say what the runs test"));
        }
        if input.runs.is_empty() {
            return Err(bad("runs", "no run ids: an entry names the recorded runs that tested the hypothesis (`tradelab runs list`)"));
        }
        let mut runs: Vec<String> = Vec::new();
        for (i, id) in input.runs.iter().enumerate() {
            let full = self.get(id.trim()).map_err(|e| match e {
                RegistryError::NotFound(_) | RegistryError::Ambiguous { .. } => {
                    bad(format!("runs[{i}]"), e.to_string())
                }
                other => other,
            })?;
            if !runs.contains(&full.id) {
                runs.push(full.id);
            }
        }
        let created_at = input
            .created_at
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        let run_ids =
            serde_json::to_string(&runs).map_err(|e| RegistryError::BadInput(e.to_string()))?;
        self.conn()
            .execute(
                "INSERT INTO journal_entries (study, created_at, hypothesis, run_ids, saw, next) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![study, created_at, hypothesis, run_ids, opt_text(&input.saw), opt_text(&input.next)],
            )
            .map_err(|e| self.sql_error(e))?;
        let id = self.conn().last_insert_rowid();
        Ok(Entry {
            id,
            study,
            created_at,
            hypothesis: hypothesis.to_string(),
            runs,
            saw: opt_text(&input.saw),
            next: opt_text(&input.next),
        })
    }

    /// Entries, newest first; only this study's when given.
    pub fn journal_entries(&self, study: Option<&str>) -> Result<Vec<Entry>, RegistryError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {ENTRY_COLUMNS} FROM journal_entries WHERE (?1 IS NULL OR study = ?1) ORDER BY created_at DESC, id DESC"))
            .map_err(|e| self.sql_error(e))?;
        let rows = stmt
            .query_map([study.map(str::trim)], raw_entry)
            .map_err(|e| self.sql_error(e))?;
        rows.map(|r| {
            r.map_err(|e| self.sql_error(e))
                .and_then(|raw| self.decode_entry(raw))
        })
        .collect()
    }

    /// Verdicts, newest first; only this study's when given.
    pub fn journal_verdicts(&self, study: Option<&str>) -> Result<Vec<Verdict>, RegistryError> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {VERDICT_COLUMNS} FROM journal_verdicts WHERE (?1 IS NULL OR study = ?1) ORDER BY created_at DESC, id DESC"))
            .map_err(|e| self.sql_error(e))?;
        let rows = stmt
            .query_map([study.map(str::trim)], raw_verdict)
            .map_err(|e| self.sql_error(e))?;
        rows.map(|r| {
            r.map_err(|e| self.sql_error(e))
                .and_then(|raw| self.decode_verdict(raw))
        })
        .collect()
    }

    /// Measures a run against its study's thresholds on the study's split and records the
    /// verdict. Refused: no thresholds configured, the run measured on another split, a burned
    /// test run, a missing metric, or a second test verdict for the study.
    pub fn journal_verdict(&self, study: &str, run: &str) -> Result<Verdict, RegistryError> {
        let name = check_name("study", study)?;
        let rule = self.journal_study(&name)?.ok_or_else(|| {
            refused(
                JOURNAL_NO_STUDY,
                format!("study '{name}' has no thresholds: configure them first, e.g. `tradelab journal study --name {name} --split val --thresholds '{{\"sharpe\":\">=1\"}}'`"),
            )
        })?;
        let run = self.get(run.trim())?;
        let run_split = run.split.clone();
        match run_split.as_deref() {
            Some(s) if split_base(s) == rule.split => {}
            other => {
                let window = run
                    .window
                    .map(|w| format!(", window {} .. {} UTC", iso(w.first), iso(w.last)))
                    .unwrap_or_default();
                return Err(refused(
                    JOURNAL_SPLIT_MISMATCH,
                    format!(
                        "run {} was measured on split '{}'{window}, but study '{name}' judges on split '{}': rerun it with --split {}",
                        run.id,
                        other.unwrap_or("(none recorded)"),
                        rule.split,
                        rule.split
                    ),
                ));
            }
        }
        if rule.split == "test" && run_split.as_deref().is_some_and(|s| s.contains("burned")) {
            return Err(refused(
                JOURNAL_TEST_BURNED,
                format!("run {} looked at a test window that had been seen before (split '{}'): its numbers are not out-of-sample and cannot give a test verdict", run.id, run_split.as_deref().unwrap_or("")),
            ));
        }
        let checks = measure(&run, &rule.thresholds)?;
        let verdict = if checks.iter().all(|c| c.pass) {
            "VALIDATED"
        } else {
            "REJECTED"
        };
        let checks_text =
            serde_json::to_string(&checks).map_err(|e| RegistryError::BadInput(e.to_string()))?;
        let now = chrono::Utc::now().timestamp_millis();
        let tx = self.tx()?;
        // Checked inside the IMMEDIATE transaction for a clear message; the partial unique index
        // is what makes it hold between processes.
        if rule.split == "test" {
            if let Some(v) = self.test_verdict(&name)? {
                return Err(refused(
                    JOURNAL_TEST_VERDICT_RECORDED,
                    format!(
                        "study '{name}' already has its test verdict: {} on run {} at {} UTC. A test window judges a study once; a second verdict would be chosen after seeing the first",
                        v.verdict,
                        v.run_id,
                        iso(v.created_at)
                    ),
                ));
            }
            // Nor may another study re-judge the same test run under a rule picked after seeing
            // the first verdict.
            let earlier: Option<(String, String, i64)> = tx
                .query_row(
                    "SELECT study, verdict, created_at FROM journal_verdicts WHERE run_id = ?1 AND split = 'test' ORDER BY id LIMIT 1",
                    [&run.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(|e| self.sql_error(e))?;
            if let Some((study, verdict, at)) = earlier {
                return Err(refused(
                    JOURNAL_TEST_VERDICT_RECORDED,
                    format!(
                        "run {} already has a test verdict: {verdict} in study '{study}' at {} UTC. A test run is judged once; a rule chosen after seeing that verdict is not a test",
                        run.id,
                        iso(at)
                    ),
                ));
            }
        }
        let res = tx.execute(
            "INSERT INTO journal_verdicts (study, run_id, split, run_split, verdict, checks, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![name, run.id, rule.split, run_split, verdict, checks_text, now],
        );
        match res {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                return Err(refused(
                    JOURNAL_TEST_VERDICT_RECORDED,
                    format!(
                        "study '{name}' already has its test verdict (recorded by another process)"
                    ),
                ));
            }
            Err(e) => return Err(self.sql_error(e)),
        }
        let id = self.conn().last_insert_rowid();
        tx.commit().map_err(|e| self.sql_error(e))?;
        Ok(Verdict {
            id,
            study: name,
            run_id: run.id,
            split: rule.split,
            run_split,
            verdict: verdict.to_string(),
            checks,
            created_at: now,
        })
    }

    /// Every study's journal (or one study's), in name order. A study name with neither entries
    /// nor a rule is an error.
    pub fn journal(&self, study: Option<&str>) -> Result<Vec<StudyJournal>, RegistryError> {
        let entries = self.journal_entries(study)?;
        let verdicts = self.journal_verdicts(study)?;
        let mut names: Vec<String> = entries
            .iter()
            .map(|e| e.study.clone())
            .chain(verdicts.iter().map(|v| v.study.clone()))
            .collect();
        match study {
            Some(s) => {
                if self.journal_study(s)?.is_some() {
                    names.push(s.trim().to_string());
                }
            }
            None => {
                let mut stmt = self
                    .conn()
                    .prepare("SELECT name FROM journal_studies")
                    .map_err(|e| self.sql_error(e))?;
                let all: Vec<String> = stmt
                    .query_map([], |r| r.get(0))
                    .map_err(|e| self.sql_error(e))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| self.sql_error(e))?;
                names.extend(all);
            }
        }
        names.sort();
        names.dedup();
        if let (Some(s), true) = (study, names.is_empty()) {
            return Err(refused(
                JOURNAL_NO_STUDY,
                format!(
                    "no journal entries or study named '{}' (see `tradelab journal list`)",
                    s.trim()
                ),
            ));
        }
        names
            .into_iter()
            .map(|name| {
                let entries: Vec<Entry> = entries
                    .iter()
                    .filter(|e| e.study == name)
                    .cloned()
                    .collect();
                let verdicts: Vec<Verdict> = verdicts
                    .iter()
                    .filter(|v| v.study == name)
                    .cloned()
                    .collect();
                let mut runs = BTreeMap::new();
                for id in entries
                    .iter()
                    .flat_map(|e| e.runs.iter())
                    .chain(verdicts.iter().map(|v| &v.run_id))
                {
                    if !runs.contains_key(id) {
                        runs.insert(id.clone(), self.get(id)?);
                    }
                }
                Ok(StudyJournal {
                    study: self.journal_study(&name)?,
                    name,
                    entries,
                    verdicts,
                    runs,
                })
            })
            .collect()
    }

    fn corrupt(&self, id: String, column: &'static str, e: serde_json::Error) -> RegistryError {
        RegistryError::CorruptRow {
            path: self.path().to_path_buf(),
            id,
            column,
            message: e.to_string(),
        }
    }

    fn decode_entry(&self, r: RawEntry) -> Result<Entry, RegistryError> {
        let runs = serde_json::from_str(&r.run_ids)
            .map_err(|e| self.corrupt(format!("journal entry {}", r.id), "run_ids", e))?;
        Ok(Entry {
            id: r.id,
            study: r.study,
            created_at: r.created_at,
            hypothesis: r.hypothesis,
            runs,
            saw: r.saw,
            next: r.next,
        })
    }

    fn decode_verdict(&self, r: RawVerdict) -> Result<Verdict, RegistryError> {
        let checks = serde_json::from_str(&r.checks)
            .map_err(|e| self.corrupt(format!("verdict {}", r.id), "checks", e))?;
        Ok(Verdict {
            id: r.id,
            study: r.study,
            run_id: r.run_id,
            split: r.split,
            run_split: r.run_split,
            verdict: r.verdict,
            checks,
            created_at: r.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::RunInput;
    use rusqlite::Connection;
    use serde_json::json;

    fn run(reg: &Registry, split: &str, metrics: Value) -> RunRecord {
        reg.insert(
            &RunInput::from_value(&json!({
                "kind": "backtest", "symbols": ["BTC/USDT"], "interval": "1h", "split": split,
                "window": { "first": 1_704_067_200_000i64, "last": 1_727_737_200_000i64 },
                "assumptions": { "decisionLag": 1, "text": "lag 1 · cross 5 bps" },
                "config": {}, "metrics": metrics
            }))
            .unwrap(),
        )
        .unwrap()
    }

    fn rule() -> Vec<Threshold> {
        Threshold::parse_all(
            r#"{"sharpe":">=1","maxDrawdown":"<=0.2","annualisedReturn":">=0.10"}"#,
        )
        .unwrap()
    }

    fn good() -> Value {
        json!({ "sharpe": 1.4, "maxDrawdown": 0.12, "annualisedReturn": 0.15, "totalReturn": 0.1 })
    }

    #[test]
    fn thresholds_parse_and_errors_name_the_metric() {
        let t = rule();
        assert_eq!(
            t.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "annualisedReturn >= 0.1",
                "maxDrawdown <= 0.2",
                "sharpe >= 1"
            ]
        );
        assert_eq!(
            Threshold::parse("x", " > -0.5 ").unwrap(),
            Threshold {
                metric: "x".into(),
                op: Op::Gt,
                value: -0.5
            }
        );
        let e = |j: &str| Threshold::parse_all(j).unwrap_err().to_string();
        assert!(
            e(r#"{"sharpe":"=1"}"#).contains("`thresholds.sharpe`"),
            "{}",
            e(r#"{"sharpe":"=1"}"#)
        );
        assert!(e(r#"{"sharpe":">=abc"}"#).contains("'abc' is not a finite number"));
        assert!(e(r#"{"sharpe":1}"#).contains("expected a string"));
        assert!(e(r#"{}"#).contains("no thresholds"));
        assert!(e("[1]").contains("expected an object"));
        // The seed writes "max DD >= -20 %"; the registry stores drawdown as a positive fraction.
        let dd = e(r#"{"maxDrawdown":">=-0.2"}"#);
        assert!(
            dd.contains("positive fraction") && dd.contains("'<=0.2'"),
            "{dd}"
        );
    }

    #[test]
    fn entries_need_existing_runs_and_expand_prefixes() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("r.sqlite")).unwrap();
        let a = run(&reg, "val", good());
        let input = |runs: Vec<String>| EntryInput {
            study: "harvest".into(),
            hypothesis: "always-on beats switching".into(),
            runs,
            saw: Some("  it did  ".into()),
            next: None,
            created_at: Some(5),
        };
        let e = reg
            .journal_add(&input(vec![a.id[..20].to_string(), a.id.clone()]))
            .unwrap();
        assert_eq!(e.runs, vec![a.id.clone()]);
        assert_eq!(e.saw.as_deref(), Some("it did"));
        let err = reg
            .journal_add(&input(vec![a.id.clone(), "r-nope".into()]))
            .unwrap_err();
        assert!(
            err.to_string().contains("`runs[1]`")
                && err.to_string().contains("no run matches 'r-nope'"),
            "{err}"
        );
        assert!(reg
            .journal_add(&input(vec![]))
            .unwrap_err()
            .to_string()
            .contains("`runs`"));
        assert!(reg
            .journal_add(&EntryInput {
                hypothesis: " ".into(),
                ..input(vec![a.id.clone()])
            })
            .unwrap_err()
            .to_string()
            .contains("`hypothesis`"));
        assert_eq!(
            reg.journal_entries(Some("harvest")).unwrap(),
            vec![e.clone()]
        );
        assert!(reg.journal_entries(Some("other")).unwrap().is_empty());
        let j = reg.journal(Some("harvest")).unwrap();
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].runs[&a.id].id, a.id);
        assert_eq!(
            reg.journal(Some("nope")).unwrap_err().code(),
            JOURNAL_NO_STUDY
        );
    }

    #[test]
    fn verdicts_are_measured_on_the_studys_split() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::open(dir.path().join("r.sqlite")).unwrap();
        let val = run(&reg, "val (selection window (best of 4))", good());
        let weak = run(
            &reg,
            "val",
            json!({ "sharpe": 0.8, "maxDrawdown": 0.25, "annualisedReturn": 0.15 }),
        );
        let full = run(&reg, "full", good());
        let nan = run(&reg, "val", json!({ "sharpe": null, "maxDrawdown": 0.1 }));
        assert_eq!(
            reg.journal_verdict("s", &val.id).unwrap_err().code(),
            JOURNAL_NO_STUDY
        );
        reg.journal_set_study("s", "val", &rule()).unwrap();

        let v = reg.journal_verdict("s", &val.id).unwrap();
        assert_eq!(v.verdict, "VALIDATED");
        assert_eq!(
            v.run_split.as_deref(),
            Some("val (selection window (best of 4))")
        );
        assert_eq!(
            v.checks
                .iter()
                .map(|c| (c.metric.as_str(), c.measured, c.pass))
                .collect::<Vec<_>>(),
            [
                ("annualisedReturn", 0.15, true),
                ("maxDrawdown", 0.12, true),
                ("sharpe", 1.4, true)
            ]
        );
        let w = reg.journal_verdict("s", &weak.id[..20]).unwrap();
        assert_eq!(w.verdict, "REJECTED");
        assert_eq!(
            w.checks
                .iter()
                .filter(|c| !c.pass)
                .map(|c| c.metric.as_str())
                .collect::<Vec<_>>(),
            ["maxDrawdown", "sharpe"]
        );

        let e = reg.journal_verdict("s", &full.id).unwrap_err();
        assert_eq!(e.code(), JOURNAL_SPLIT_MISMATCH);
        assert!(
            e.to_string().contains("split 'full'")
                && e.to_string().contains("judges on split 'val'"),
            "{e}"
        );
        let e = reg.journal_verdict("s", &nan.id).unwrap_err();
        assert_eq!(e.code(), JOURNAL_MISSING_METRIC);
        assert!(
            e.to_string().contains("`annualisedReturn` (not stored)")
                && e.to_string().contains("`sharpe` (null"),
            "{e}"
        );
        let short = run(
            &reg,
            "val",
            json!({ "sharpe": 3.0, "maxDrawdown": 0.1, "annualisedReturn": 9.0, "annualisedMeaningful": false, "bars": 480 }),
        );
        let e = reg.journal_verdict("s", &short.id).unwrap_err();
        assert_eq!(e.code(), JOURNAL_METRIC_NOT_MEANINGFUL);
        assert!(
            e.to_string()
                .contains("`annualisedReturn` is not meaningful")
                && e.to_string().contains("480 bars"),
            "{e}"
        );
        assert_eq!(reg.journal_verdicts(Some("s")).unwrap().len(), 2);
        // Val verdicts do not freeze the study.
        reg.journal_set_study(
            "s",
            "val",
            &Threshold::parse_all(r#"{"sharpe":">=2"}"#).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn one_test_verdict_per_study_then_frozen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.sqlite");
        let reg = Registry::open(&path).unwrap();
        let t1 = run(&reg, "test", good());
        let t2 = run(&reg, "test", good());
        let burned = run(&reg, "test (burned)", good());
        reg.journal_set_study("s", "test", &rule()).unwrap();
        assert_eq!(
            reg.journal_verdict("s", &burned.id).unwrap_err().code(),
            JOURNAL_TEST_BURNED
        );
        assert_eq!(
            reg.journal_verdict("s", &t1.id).unwrap().verdict,
            "VALIDATED"
        );
        // Another process, another run: still refused.
        let other = Registry::open(&path).unwrap();
        for id in [&t1.id, &t2.id] {
            let e = other.journal_verdict("s", id).unwrap_err();
            assert_eq!(e.code(), JOURNAL_TEST_VERDICT_RECORDED);
            assert!(
                e.to_string()
                    .contains("already has its test verdict: VALIDATED on run"),
                "{e}"
            );
        }
        let e = reg
            .journal_set_study(
                "s",
                "test",
                &Threshold::parse_all(r#"{"sharpe":">=0"}"#).unwrap(),
            )
            .unwrap_err();
        assert_eq!(e.code(), JOURNAL_STUDY_FROZEN);
        assert_eq!(
            reg.journal_set_study("s", "val", &rule())
                .unwrap_err()
                .code(),
            JOURNAL_STUDY_FROZEN
        );
        // Restating the same rule is not a change.
        reg.journal_set_study("s", "test", &rule()).unwrap();
        // A second study may still get its own test verdict.
        reg.journal_set_study("s2", "test", &rule()).unwrap();
        assert_eq!(
            reg.journal_verdict("s2", &t2.id).unwrap().verdict,
            "VALIDATED"
        );
        // ... but not re-judge a test run another study already judged.
        reg.journal_set_study(
            "s3",
            "test",
            &Threshold::parse_all(r#"{"sharpe":">=0"}"#).unwrap(),
        )
        .unwrap();
        let e = reg.journal_verdict("s3", &t1.id).unwrap_err();
        assert_eq!(e.code(), JOURNAL_TEST_VERDICT_RECORDED);
        assert!(
            e.to_string()
                .contains("already has a test verdict: VALIDATED in study 's'"),
            "{e}"
        );
        // The index itself refuses a second row, whatever code path writes it.
        let raw = reg.conn().execute(
            "INSERT INTO journal_verdicts (study, run_id, split, verdict, checks, created_at) VALUES ('s', 'x', 'test', 'VALIDATED', '[]', 0)",
            [],
        );
        assert!(raw.is_err());
    }

    #[test]
    fn an_existing_v2_file_migrates_and_keeps_its_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        {
            // A version-2 registry as the previous release wrote it: migrations 1 and 2 only.
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at INTEGER NOT NULL, symbols TEXT NOT NULL,
                   interval TEXT, split TEXT, eval_first INTEGER, eval_last INTEGER, assumptions TEXT, config TEXT NOT NULL,
                   data_hash TEXT, code_version TEXT, metrics TEXT NOT NULL, artifacts TEXT NOT NULL, notes TEXT, parent TEXT);
                 CREATE INDEX runs_created ON runs (created_at);
                 CREATE INDEX runs_kind ON runs (kind, created_at);
                 CREATE TABLE test_looks (id INTEGER PRIMARY KEY AUTOINCREMENT, symbol TEXT NOT NULL, interval TEXT NOT NULL,
                   test_start INTEGER NOT NULL, test_end INTEGER NOT NULL, data_hash TEXT, command TEXT NOT NULL, at INTEGER NOT NULL,
                   acknowledged_burned INTEGER NOT NULL);
                 INSERT INTO runs VALUES ('r-20240101-000000-abcd', 'backtest', 1704067200000, '[\"SOL/USDT\"]', '1h', 'val', 1, 2, NULL, '{}',
                   NULL, '0.1.0+old', '{\"sharpe\": 1.2, \"maxDrawdown\": 0.1, \"annualisedReturn\": 0.2}', '{}', NULL, NULL);
                 PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let reg = Registry::open(&path).unwrap();
        let v: i64 = reg
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert!(v >= 3, "migrated to {v}");
        assert_eq!(
            reg.get("r-20240101").unwrap().code_version.as_deref(),
            Some("0.1.0+old")
        );
        reg.journal_add(&EntryInput {
            study: "old".into(),
            hypothesis: "h".into(),
            runs: vec!["r-2024".into()],
            ..Default::default()
        })
        .unwrap();
        reg.journal_set_study("old", "val", &rule()).unwrap();
        assert_eq!(
            reg.journal_verdict("old", "r-20240101-000000-abcd")
                .unwrap()
                .verdict,
            "VALIDATED"
        );
        drop(reg);
        // Reopening does not re-run migration 3 (its CREATE TABLEs would fail).
        assert_eq!(
            Registry::open(&path).unwrap().journal(None).unwrap()[0]
                .verdicts
                .len(),
            1
        );
    }
}
