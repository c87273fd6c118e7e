//! What this process's numbers depend on (`tradelab_sim::environment`): recorded with every run.
use crate::convert::to_json;
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// CPU model, the sim kernel's SIMD level, threads, OS/arch, device, numeric environment
/// variables (a `tradelab_sim::Environment`, camelCase).
#[napi(ts_return_type = "unknown")]
pub fn environment() -> Result<serde_json::Value> {
    to_json(&tradelab_sim::environment())
}
