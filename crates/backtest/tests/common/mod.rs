//! Shared test helpers: the bundled store and the shared market data.
#![allow(dead_code)]
use std::path::PathBuf;

pub fn bundled_store() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/store")
        .display()
        .to_string()
}

/// `<shared>/data/<rel>`, or None (a skip) outside CI; under `CI=true` a missing file fails.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let base = match std::env::var("TRADELAB_SHARED_DATA") {
        Ok(p) => PathBuf::from(p),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    let p = base.join(rel);
    if p.exists() {
        return Some(p);
    }
    let ci = std::env::var("CI").map(|v| v == "true").unwrap_or(false);
    assert!(
        !ci,
        "CI=true and {} is missing (set TRADELAB_SHARED_DATA)",
        p.display()
    );
    eprintln!(
        "skipping: {} not found (set TRADELAB_SHARED_DATA)",
        p.display()
    );
    None
}
