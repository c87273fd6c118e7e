//! tradelab-data: the Parquet bar store and the importers that feed it.
//!
//! Data path: file (CSV / Feather / Parquet / Binance Vision klines) → [`import`] parses it into
//! [`tradelab_core::Bars`] → [`tradelab_core::validate_bars`] → [`Store::merge`] writes one
//! Parquet file per (symbol, interval) atomically (temp file + rename).

// DataError carries file, row and conflict details for readable messages; it is only built on
// cold error paths, so its size does not matter.
#![allow(clippy::result_large_err)]

pub mod arrow_bars;
pub mod error;
pub mod import;
pub mod ipc;
pub mod lock;
pub mod parquet_io;
pub mod progress;
pub mod series;
pub mod store;
pub mod table;

pub use error::DataError;
pub use import::{import_file, ImportOptions, ImportReport};
pub use progress::Progress;
pub use store::{
    CheckEntry, DatasetInfo, DatasetKey, MergeReport, OnConflict, SourceRecord, Store,
};
pub use table::{Column, Table};

pub type Result<T> = std::result::Result<T, DataError>;
