//! Helpers shared by the store integration tests.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

/// `../shared/data` next to the repository (override with TRADELAB_SHARED_DATA).
pub fn shared_data() -> PathBuf {
    if let Ok(p) = std::env::var("TRADELAB_SHARED_DATA") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let p = root.join("../shared/data");
    assert!(
        p.is_dir(),
        "shared market data not found at {} (set TRADELAB_SHARED_DATA)",
        p.display()
    );
    p
}

/// Every file under `dir` with its bytes, to prove a failed import changed nothing.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

pub const H: i64 = 3_600_000;
pub const T0: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

/// A clean hourly CSV with `n` rows; `edit(row, fields)` may alter a row (0-based) before writing.
pub fn csv_rows(n: usize, edit: impl Fn(usize, &mut Vec<String>)) -> String {
    let mut s = String::from("timestamp,open,high,low,close,volume\n");
    for i in 0..n {
        let base = 100.0 + i as f64;
        let mut f = vec![
            (T0 + i as i64 * H).to_string(),
            format!("{base}"),
            format!("{}", base + 2.0),
            format!("{}", base - 2.0),
            format!("{}", base + 1.0),
            "10".to_string(),
        ];
        edit(i, &mut f);
        s.push_str(&f.join(","));
        s.push('\n');
    }
    s
}
