//! Thin N-API binding for tradelab. No logic lives here: it converts arguments, runs heavy calls
//! on the libuv thread pool (`AsyncTask`), hands column buffers to V8 without copying, and turns
//! every Rust error or panic into a JS `Error`.
#![deny(clippy::all)]
// A test build (clippy --all-targets) drops #[napi] registration, leaving every export unused.
#![cfg_attr(test, allow(dead_code))]

mod convert;
mod environment;
mod features;
mod fills;
mod paper;
mod registry;
mod select;
mod series;
mod sim;
mod store;
mod study;
