//! `tradelab-train`: see crates/train/README.md for the commands and the JSON-lines events.
fn main() {
    eprintln!("tradelab-train: commands are being wired up (train, eval, train-forecaster, bench)");
    std::process::exit(2);
}
