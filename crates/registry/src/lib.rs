//! Run registry: every backtest, sweep, train and eval run is one row in an embedded SQLite file
//! (config, data hash, code version, metrics, artefact paths), so results can be listed, compared
//! and turned into a progress log later. WAL mode and a busy timeout let several CLI processes
//! record into the same file at once.
mod error;
mod input;
mod journal;
mod order_journal;
mod record;
mod registry;
mod schema;
mod test_lock;

pub use error::RegistryError;
pub use input::{RunInput, RUN_KINDS};
pub use journal::{
    measure, Check, Entry as JournalEntry, EntryInput as JournalEntryInput, Op as ThresholdOp,
    Study, StudyJournal, Threshold, Verdict, JOURNAL_BAD_INPUT, JOURNAL_METRIC_NOT_MEANINGFUL,
    JOURNAL_MISSING_METRIC, JOURNAL_NO_STUDY, JOURNAL_SPLIT_MISMATCH, JOURNAL_STUDY_FROZEN,
    JOURNAL_TEST_BURNED, JOURNAL_TEST_VERDICT_RECORDED,
};
pub use order_journal::{
    client_order_id, JournalEvent as OrderEvent, JournalRun as OrderRun, NewEvent as NewOrderEvent,
    OrderJournal, EVENT_KINDS as ORDER_EVENT_KINDS,
};
pub use record::{Comparison, MetricRow, RunFilter, RunRecord};
pub use registry::Registry;
pub use schema::SCHEMA_VERSION;
pub use test_lock::{EarlierLook, TestLook, TestLookRequest};
