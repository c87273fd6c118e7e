//! Run registry functions: record, list, get, compare, and the run journal. Each call opens the
//! SQLite file (cheap; WAL + busy timeout make concurrent processes safe) and runs off the event
//! loop.
use crate::convert::{js_err, json_task, to_json, JsonTask};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_registry::{JournalEntryInput, Registry, RunFilter, RunInput, Threshold};

/// Records a run (JSON text of the RunInput) and resolves to the stored record.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_record(path: String, input_json: String) -> AsyncTask<JsonTask> {
    json_task("registryRecord", move || {
        let input = RunInput::from_json(&input_json).map_err(js_err)?;
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .insert(&input)
                .map_err(js_err)?,
        )
    })
}

/// Lists runs, newest first. `filter_json`: `{ kind?, symbol?, limit? }`.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_list(path: String, filter_json: Option<String>) -> AsyncTask<JsonTask> {
    json_task("registryList", move || {
        let filter: RunFilter = match filter_json.as_deref() {
            Some(t) => serde_json::from_str(t).map_err(|e| js_err(format!("run filter: {e}")))?,
            None => RunFilter::default(),
        };
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .list(&filter)
                .map_err(js_err)?,
        )
    })
}

/// One run by id or unique id prefix.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_get(path: String, id: String) -> AsyncTask<JsonTask> {
    json_task("registryGet", move || {
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .get(&id)
                .map_err(js_err)?,
        )
    })
}

/// Several runs side by side with their numeric metrics as rows.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_compare(path: String, ids: Vec<String>) -> AsyncTask<JsonTask> {
    json_task("registryCompare", move || {
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .compare(&ids)
                .map_err(js_err)?,
        )
    })
}

/// Records a journal entry (JSON text of `{ study, hypothesis, runs, saw?, next?, createdAt? }`).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn journal_add(path: String, input_json: String) -> AsyncTask<JsonTask> {
    json_task("journalAdd", move || {
        let input: JournalEntryInput =
            serde_json::from_str(&input_json).map_err(|e| js_err(format!("journal entry: {e}")))?;
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .journal_add(&input)
                .map_err(js_err)?,
        )
    })
}

/// Journal entries, newest first (one study's when given).
#[napi(ts_return_type = "Promise<unknown>")]
pub fn journal_entries(path: String, study: Option<String>) -> AsyncTask<JsonTask> {
    json_task("journalEntries", move || {
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .journal_entries(study.as_deref())
                .map_err(js_err)?,
        )
    })
}

/// Configures a study's verdict thresholds (`{"sharpe": ">=1", ...}` as JSON text) and split.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn journal_set_study(
    path: String,
    name: String,
    split: String,
    thresholds_json: String,
) -> AsyncTask<JsonTask> {
    json_task("journalSetStudy", move || {
        let thresholds = Threshold::parse_all(&thresholds_json).map_err(js_err)?;
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .journal_set_study(&name, &split, &thresholds)
                .map_err(js_err)?,
        )
    })
}

/// Measures a run against its study's thresholds and records the verdict.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn journal_verdict(path: String, study: String, run: String) -> AsyncTask<JsonTask> {
    json_task("journalVerdict", move || {
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .journal_verdict(&study, &run)
                .map_err(js_err)?,
        )
    })
}

/// Every study's journal (or one study's): rule, entries, verdicts and the runs they name.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn journal_show(path: String, study: Option<String>) -> AsyncTask<JsonTask> {
    json_task("journalShow", move || {
        to_json(
            &Registry::open(&path)
                .map_err(js_err)?
                .journal(study.as_deref())
                .map_err(js_err)?,
        )
    })
}
