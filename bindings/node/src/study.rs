//! Study ask/tell/report as a JS class holding the Rust `Study` (tradelab-study). Each call is a
//! few milliseconds of sampling, so it runs on the JS thread; JSON text in, plain objects out.
use crate::convert::{guarded, to_json, JsErr, Json};
use napi::{Error, Result, Status};
use napi_derive::napi;
use tradelab_study::{Outcome, Study, StudyError, StudySpec, Trial};

impl JsErr for StudyError {
    fn into_js(self) -> Error {
        Error::new(
            Status::GenericFailure,
            format!("[{}] {}", self.code(), self),
        )
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| format!("{what}: {e}").into_js())
}

#[napi]
pub struct StudyHandle {
    study: Study,
}

#[napi]
impl StudyHandle {
    /// `spec_json`: a `StudySpec`; `trials_json`: trials recorded earlier (a resumed study).
    #[napi(constructor)]
    pub fn new(spec_json: String, trials_json: Option<String>) -> Result<Self> {
        guarded("StudyHandle", || {
            let spec = StudySpec::from_json(&spec_json).map_err(JsErr::into_js)?;
            let trials: Vec<Trial> = match trials_json.as_deref() {
                Some(t) => parse("study trials", t)?,
                None => Vec::new(),
            };
            Ok(StudyHandle {
                study: Study::restore(spec, trials).map_err(JsErr::into_js)?,
            })
        })
    }

    /// The next trial (`Asked`), or null when a grid is exhausted.
    #[napi(ts_return_type = "unknown")]
    pub fn ask(&mut self) -> Result<Json> {
        let a = guarded("study ask", || self.study.ask().map_err(JsErr::into_js))?;
        Ok(Json(to_json(&a)?))
    }

    /// Records an intermediate value; true when the pruner says stop.
    #[napi]
    pub fn report(&mut self, number: u32, step: u32, value: f64) -> Result<bool> {
        guarded("study report", || {
            self.study
                .report(number, step, value)
                .map_err(JsErr::into_js)
        })
    }

    /// `outcome_json`: `{ state: "complete", value } | { state: "pruned" } | { state: "failed" }`.
    #[napi(ts_return_type = "unknown")]
    pub fn tell(&mut self, number: u32, outcome_json: String) -> Result<Json> {
        let outcome: Outcome = parse("trial outcome", &outcome_json)?;
        let t = guarded("study tell", || {
            self.study
                .tell(number, outcome)
                .cloned()
                .map_err(JsErr::into_js)
        })?;
        Ok(Json(to_json(&t)?))
    }

    #[napi(ts_return_type = "unknown")]
    pub fn trials(&self) -> Result<Json> {
        Ok(Json(to_json(&self.study.trials())?))
    }

    /// Counts and the best trial (`Summary`).
    #[napi(ts_return_type = "unknown")]
    pub fn summary(&self) -> Result<Json> {
        Ok(Json(to_json(&self.study.summary())?))
    }

    /// A grid's size (null: unbounded).
    #[napi]
    pub fn capacity(&self) -> Option<f64> {
        self.study.capacity().map(|c| c as f64)
    }
}
