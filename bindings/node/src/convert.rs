//! Conversions shared by the exported functions: errors, panics, JSON results, parsed arguments.
use napi::bindgen_prelude::{AsyncTask, Task};
use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tradelab_core::{Interval, Symbol};

/// A Rust error as a JS Error whose message starts with its stable code: `[DATA_NOT_FOUND] ...`.
/// `ts/src/errors.ts` splits the code off into `TradelabError.code`, so TS never matches on text.
pub trait JsErr {
    fn into_js(self) -> Error;
}

fn coded(code: &str, msg: impl std::fmt::Display) -> Error {
    Error::new(Status::GenericFailure, format!("[{code}] {msg}"))
}

macro_rules! coded_errors {
    ($($t:ty),*) => {$(
        impl JsErr for $t {
            fn into_js(self) -> Error {
                coded(self.code(), &self)
            }
        }
    )*};
}
use tradelab_core::ErrorCode;
coded_errors!(
    tradelab_core::CoreError,
    tradelab_data::DataError,
    tradelab_sim::SimError,
    tradelab_features::FeatureError,
    tradelab_backtest::BacktestError,
    tradelab_registry::RegistryError
);

/// Messages written in the binding itself: bad arguments from JS.
impl JsErr for String {
    fn into_js(self) -> Error {
        coded("INPUT", self)
    }
}

impl JsErr for &str {
    fn into_js(self) -> Error {
        coded("INPUT", self)
    }
}

impl JsErr for serde_json::Error {
    fn into_js(self) -> Error {
        coded("INPUT", self)
    }
}

pub fn js_err(e: impl JsErr) -> Error {
    e.into_js()
}

/// Runs `f`, turning a panic into an Error so the Node process never aborts.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(
                Status::GenericFailure,
                format!(
                    "[INTERNAL] internal error in {what} (a bug in tradelab, please report): {msg}"
                ),
            ))
        }
    }
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v).map_err(js_err)
}

pub fn symbol(s: &str) -> Result<Symbol> {
    Symbol::parse(s).map_err(js_err)
}

pub fn interval(s: &str) -> Result<Interval> {
    s.parse::<Interval>().map_err(js_err)
}

/// A JSON value handed to JS as a plain object (the TS layer gives it its precise type). It
/// crosses as text and V8's `JSON.parse` builds the object: building it property by property
/// through N-API cost more than the backtest itself for a report with many trades.
pub struct Json(pub serde_json::Value);

/// JSON already serialised (on the worker thread, off the event loop), parsed by `JSON.parse`.
pub struct JsonText(pub String);

impl JsonText {
    pub fn of<T: serde::Serialize>(v: &T) -> Result<Self> {
        serde_json::to_string(v).map(JsonText).map_err(js_err)
    }
}

macro_rules! unknown_type {
    ($($t:ty),*) => {$(
        impl napi::bindgen_prelude::TypeName for $t {
            fn type_name() -> &'static str {
                "unknown"
            }
            fn value_type() -> napi::ValueType {
                napi::ValueType::Object
            }
        }
    )*};
}
unknown_type!(Json, JsonText);

fn status(s: napi::sys::napi_status, what: &str) -> Result<()> {
    if s == napi::sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("[INTERNAL] JSON.parse of a result failed at {what} (status {s})"),
        ))
    }
}

impl napi::bindgen_prelude::ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        use napi::sys;
        use std::ptr::null_mut;
        // SAFETY: called by napi-rs on the JS thread with a live env; every out-pointer is a
        // local, and each status is checked before its value is used.
        unsafe {
            let mut global = null_mut();
            status(sys::napi_get_global(env, &mut global), "global")?;
            let mut json = null_mut();
            status(
                sys::napi_get_named_property(env, global, c"JSON".as_ptr(), &mut json),
                "JSON",
            )?;
            let mut parse = null_mut();
            status(
                sys::napi_get_named_property(env, json, c"parse".as_ptr(), &mut parse),
                "JSON.parse",
            )?;
            let text = String::to_napi_value(env, val.0)?;
            let mut out = null_mut();
            status(
                sys::napi_call_function(env, json, parse, 1, &text, &mut out),
                "call",
            )?;
            Ok(out)
        }
    }
}

impl napi::bindgen_prelude::ToNapiValue for Json {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        let text = JsonText::of(&val.0)?;
        // SAFETY: forwarded unchanged on the JS thread.
        unsafe { JsonText::to_napi_value(env, text) }
    }
}

pub fn on_conflict(s: Option<&str>) -> Result<tradelab_data::OnConflict> {
    s.unwrap_or("error")
        .parse::<tradelab_data::OnConflict>()
        .map_err(js_err)
}

/// Runs a closure on the libuv pool and hands its JSON result to JS.
pub struct JsonTask {
    what: &'static str,
    job: Option<Box<dyn FnOnce() -> Result<serde_json::Value> + Send>>,
}

#[napi]
impl Task for JsonTask {
    type Output = JsonText;
    type JsValue = JsonText;

    fn compute(&mut self) -> Result<Self::Output> {
        let job = self.job.take().ok_or_else(|| js_err("task ran twice"))?;
        JsonText::of(&guarded(self.what, job)?)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

pub fn json_task(
    what: &'static str,
    job: impl FnOnce() -> Result<serde_json::Value> + Send + 'static,
) -> AsyncTask<JsonTask> {
    AsyncTask::new(JsonTask {
        what,
        job: Some(Box::new(job)),
    })
}
