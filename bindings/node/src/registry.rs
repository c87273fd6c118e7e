//! Run registry functions: record, list, get, compare. Each call opens the SQLite file (cheap;
//! WAL + busy timeout make concurrent processes safe) and runs off the event loop.
use crate::convert::{js_err, json_task, to_json, JsonTask};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tradelab_registry::{Registry, RunFilter, RunInput};

/// Records a run (JSON text of the RunInput) and resolves to the stored record.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_record(path: String, input_json: String) -> AsyncTask<JsonTask> {
    json_task("registryRecord", move || {
        let input = RunInput::from_json(&input_json).map_err(js_err)?;
        to_json(&Registry::open(&path).map_err(js_err)?.insert(&input).map_err(js_err)?)
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
        to_json(&Registry::open(&path).map_err(js_err)?.list(&filter).map_err(js_err)?)
    })
}

/// One run by id or unique id prefix.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_get(path: String, id: String) -> AsyncTask<JsonTask> {
    json_task("registryGet", move || to_json(&Registry::open(&path).map_err(js_err)?.get(&id).map_err(js_err)?))
}

/// Several runs side by side with their numeric metrics as rows.
#[napi(ts_return_type = "Promise<unknown>")]
pub fn registry_compare(path: String, ids: Vec<String>) -> AsyncTask<JsonTask> {
    json_task("registryCompare", move || to_json(&Registry::open(&path).map_err(js_err)?.compare(&ids).map_err(js_err)?))
}
