//! `ts/src/generated/study.ts` must equal the declarations generated from the Rust structs.
use std::path::PathBuf;

#[test]
fn generated_ts_types_are_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ts/src/generated/study.ts");
    let want = tradelab_study::types::declarations();
    if std::env::var_os("TRADELAB_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "{} is stale: run `TRADELAB_BLESS=1 cargo test -p tradelab-study --test generated_types` and commit it",
        path.display()
    );
}
