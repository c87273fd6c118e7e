//! Builds the standard feature set for every dataset in a store, single-threaded, and prints
//! JSON: wall time (best of 3) and per-feature sums over finite rows (for the pandas cross-check).
//! Usage: cargo run --release -p tradelab-features --example features_bench -- <store> <out.json>
use std::collections::BTreeMap;
use std::time::Instant;
use tradelab_features::{build_features, FeatureSpec};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (root, out) = (
        args.get(1).ok_or("store dir")?,
        args.get(2).ok_or("out json")?,
    );
    let store = tradelab_data::Store::open(root);
    let mut data = Vec::new();
    for k in store.list()? {
        let sym = tradelab_core::Symbol::parse(&k.symbol)?;
        let iv: tradelab_core::Interval = k.interval.parse()?;
        data.push((k.symbol.clone(), iv, store.read(&sym, iv)?));
    }
    let spec = FeatureSpec::default();
    let mut best = f64::INFINITY;
    let mut frames = Vec::new();
    for _ in 0..3 {
        let t0 = Instant::now();
        frames = data
            .iter()
            .map(|(_, iv, b)| build_features(b, *iv, &spec, None))
            .collect::<Result<Vec<_>, _>>()?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let mut per_symbol = BTreeMap::new();
    for ((sym, _, bars), f) in data.iter().zip(&frames) {
        let mut sums = BTreeMap::new();
        for (n, c) in f.names.iter().zip(&f.columns) {
            let fin: Vec<f64> = c.iter().cloned().filter(|v| v.is_finite()).collect();
            sums.insert(
                n.clone(),
                serde_json::json!({ "finite": fin.len(), "sum": fin.iter().sum::<f64>() }),
            );
        }
        per_symbol.insert(
            sym.clone(),
            serde_json::json!({ "bars": bars.len(), "features": sums }),
        );
    }
    let bars: usize = data.iter().map(|d| d.2.len()).sum();
    let j = serde_json::json!({ "seconds": best, "bars": bars, "datasets": data.len(), "features": spec.feature_names().len(), "perSymbol": per_symbol });
    std::fs::write(out, serde_json::to_string_pretty(&j)?)?;
    println!("tradelab-features: {} datasets, {bars} bars, {} features: {best:.3} s (best of 3, 1 thread)", data.len(), spec.feature_names().len());
    Ok(())
}
