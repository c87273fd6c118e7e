//! JSON-lines events on stdout: the interface the TypeScript CLI (`tradelab train`) reads.
//! One object per line, each with an `"event"` field; nothing else is printed on stdout.
use serde_json::{json, Value};
use std::io::Write;

/// Where events go: stdout for the binary, a buffer in tests.
pub trait Sink {
    fn emit(&mut self, event: Value);
}

/// Writes each event as one line to stdout and flushes (the reader streams progress).
#[derive(Debug, Default)]
pub struct Stdout;

impl Sink for Stdout {
    fn emit(&mut self, event: Value) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (reader gone) must not kill training: ignore write errors.
        let _ = writeln!(out, "{event}");
        let _ = out.flush();
    }
}

/// Collects events (tests, library use).
#[derive(Debug, Default)]
pub struct Collect(pub Vec<Value>);

impl Sink for Collect {
    fn emit(&mut self, event: Value) {
        self.0.push(event);
    }
}

/// Discards events.
#[derive(Debug, Default)]
pub struct Quiet;

impl Sink for Quiet {
    fn emit(&mut self, _event: Value) {}
}

pub fn error_event(message: &str) -> Value {
    json!({ "event": "error", "message": message })
}
