//! Checkpoint directories.
//!
//! ```text
//! <dir>/weights.safetensors   best epoch (by the target symbol's exact validation Sortino)
//! <dir>/last.safetensors      last epoch (what --resume continues from)
//! <dir>/epoch-003.safetensors every epoch's weights (or the top `training.keepEpochs` by
//!                             validation Sortino), so a chosen epoch can be served
//! <dir>/checkpoint.json       config, feature schema, normalisers, split bounds, data hash,
//!                             code version, environment (CPU, SIMD, libtorch build and
//!                             threads, device, deterministic mode), per-epoch metrics, best
//!                             epoch, and `sealHash`: a
//!                             SHA-256 over everything that decides what a split means (config,
//!                             splits, schema, normalisers, symbols, data hash), so an edited
//!                             file (e.g. splits moved to turn `val` into the test window) is
//!                             refused instead of trusted
//! <dir>/test-ledger.json      every evaluation of the locked test split (eval --split test)
//! ```
//! Every file is written to a temporary name and renamed.
use crate::config::TrainConfig;
use crate::data::SplitBounds;
use crate::error::{Result, TrainError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tradelab_features::{FeatureSchema, Normaliser};

pub const FORMAT: &str = "tradelab-policy/1";
pub const META_FILE: &str = "checkpoint.json";
pub const BEST_WEIGHTS: &str = "weights.safetensors";
pub const LAST_WEIGHTS: &str = "last.safetensors";
pub const TEST_LEDGER: &str = "test-ledger.json";

/// Crate version + the git description given at build time (or "unknown").
pub fn code_version() -> String {
    format!(
        "tradelab-train {} ({})",
        env!("CARGO_PKG_VERSION"),
        env!("TRADELAB_TRAIN_GIT")
    )
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f64,
    pub temperature: f64,
    /// Exact-simulator validation summary of the target symbol (assumptions, window, metrics).
    pub val: Value,
    /// Validation Sortino per symbol.
    pub val_sortino: BTreeMap<String, f64>,
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointMeta {
    pub format: String,
    pub kind: String,
    pub config: TrainConfig,
    pub feature_schema: FeatureSchema,
    pub n_features: usize,
    /// One normaliser per symbol, fitted on that symbol's training rows.
    pub normalisers: BTreeMap<String, Normaliser>,
    pub symbols: Vec<String>,
    pub splits: SplitBounds,
    pub data_hash: String,
    pub code_version: String,
    pub params: i64,
    pub epochs: Vec<EpochRecord>,
    pub best_epoch: Option<usize>,
    pub created_at: String,
    pub updated_at: String,
    /// `sha256:…` over the fields that define the checkpoint's splits and inputs (see
    /// [`CheckpointMeta::seal`]); written by `save`, verified by `load`.
    #[serde(default)]
    pub seal_hash: String,
    /// `forecaster::weights_hash` of the band forecaster checkpoint (`decode.band.checkpoint`),
    /// pinned at training; a different forecaster under that path is refused.
    #[serde(default)]
    pub band_forecaster_hash: Option<String>,
    /// Where the latest epochs were trained: CPU, SIMD level, libtorch version/build/threads,
    /// device, deterministic mode (`crate::environment`). Not sealed: it describes, it does not
    /// define the splits. None for checkpoints written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<tradelab_sim::Environment>,
    /// Earlier, different environments of a checkpoint resumed elsewhere (oldest first): its
    /// epochs were then not all trained under one environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier_environments: Vec<tradelab_sim::Environment>,
}

/// The band forecaster checkpoint a config decodes with, if any.
pub fn band_forecaster_dir(cfg: &TrainConfig) -> Option<String> {
    match &cfg.decode.band {
        crate::config::BandConfig::Forecast {
            checkpoint: Some(d),
            ..
        } => Some(d.clone()),
        _ => None,
    }
}

/// Weights file of epoch `e` (1-based).
pub fn epoch_weights(e: usize) -> String {
    format!("epoch-{e:03}.safetensors")
}

impl CheckpointMeta {
    pub fn load(dir: &Path) -> Result<CheckpointMeta> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| TrainError::checkpoint(dir, format!("cannot read {META_FILE}: {e}")))?;
        let meta: CheckpointMeta =
            serde_json::from_str(&text).map_err(|e| TrainError::checkpoint(&path, e))?;
        if meta.format != FORMAT {
            return Err(TrainError::checkpoint(
                &path,
                format!("format {} is not {FORMAT}", meta.format),
            ));
        }
        if !meta.feature_schema.hash_is_consistent() {
            return Err(TrainError::checkpoint(
                &path,
                "featureSchema hash does not match its content (edited by hand?)",
            ));
        }
        meta.config
            .validate()
            .map_err(|e| TrainError::checkpoint(&path, e))?;
        let want = meta.seal()?;
        if meta.seal_hash != want {
            return Err(TrainError::checkpoint(
                &path,
                if meta.seal_hash.is_empty() {
                    "has no sealHash (written before checkpoints were sealed); retrain it"
                        .to_string()
                } else {
                    format!(
                        "sealHash {} does not match its content ({want}): config, splits, schema or normalisers were edited by hand. \
                         A checkpoint's splits decide which window is the locked test split, so an edited checkpoint is refused",
                        meta.seal_hash
                    )
                },
            ));
        }
        if let (Some(want), Some(dir)) = (
            &meta.band_forecaster_hash,
            band_forecaster_dir(&meta.config),
        ) {
            let got = crate::forecaster::weights_hash(Path::new(&dir))?;
            if &got != want {
                return Err(TrainError::checkpoint(
                    &path,
                    format!(
                        "its band forecaster {dir} changed since training (weights {got}, pinned {want}): the policy's decode band would differ from the one it learned; restore that forecaster or retrain"
                    ),
                ));
            }
        }
        Ok(meta)
    }

    /// `sha256:…` over config, splits, feature schema, normalisers, symbols and data hash (as
    /// JSON; serde_json writes floats so they read back identical, so the hash is stable).
    pub fn seal(&self) -> Result<String> {
        use sha2::{Digest, Sha256};
        let v = serde_json::json!([
            self.config,
            self.splits,
            self.feature_schema,
            self.normalisers,
            self.symbols,
            self.data_hash,
            self.kind,
            self.band_forecaster_hash,
        ]);
        let bytes = serde_json::to_vec(&v).map_err(|e| TrainError::checkpoint(META_FILE, e))?;
        let d = Sha256::digest(&bytes);
        Ok(format!(
            "sha256:{}",
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ))
    }

    /// Writes `checkpoint.json` atomically, sealed.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut sealed = self.clone();
        sealed.seal_hash = self.seal()?;
        let json =
            serde_json::to_vec_pretty(&sealed).map_err(|e| TrainError::checkpoint(dir, e))?;
        write_atomic(&dir.join(META_FILE), &json)
    }

    /// The weights file for `epoch` (None = the best epoch), refused when that epoch was not
    /// kept.
    pub fn weights_for(&self, dir: &Path, epoch: Option<usize>) -> Result<String> {
        let Some(e) = epoch else {
            return Ok(BEST_WEIGHTS.to_string());
        };
        if !self.epochs.iter().any(|r| r.epoch == e) {
            return Err(TrainError::Usage(format!(
                "--epoch {e}: {} trained epochs 1..{}",
                dir.display(),
                self.epochs.len()
            )));
        }
        let name = epoch_weights(e);
        if !dir.join(&name).is_file() {
            let kept: Vec<String> = self
                .epochs
                .iter()
                .filter(|r| dir.join(epoch_weights(r.epoch)).is_file())
                .map(|r| r.epoch.to_string())
                .collect();
            return Err(TrainError::checkpoint(
                dir,
                format!(
                    "epoch {e}'s weights were not kept (training.keepEpochs); kept epochs: {}",
                    if kept.is_empty() {
                        "none".to_string()
                    } else {
                        kept.join(", ")
                    }
                ),
            ));
        }
        Ok(name)
    }

    /// Refuses a dataset built with a different feature schema, naming the differences.
    pub fn check_schema(&self, dir: &Path, schema: &FeatureSchema) -> Result<()> {
        self.feature_schema.ensure_same(schema).map_err(|e| {
            TrainError::checkpoint(
                dir,
                format!("feature schema of the data does not match the checkpoint: {e}"),
            )
        })
    }
}

/// Saves a var store as safetensors atomically.
pub fn save_weights(vs: &tch::nn::VarStore, dir: &Path, name: &str) -> Result<()> {
    // VarStore picks the format from the extension, so the temp name keeps ".safetensors".
    let tmp = dir.join(format!(".tmp-{}-{name}", std::process::id()));
    vs.save(&tmp)
        .map_err(|e| TrainError::checkpoint(dir, format!("cannot write {name}: {e}")))?;
    std::fs::rename(&tmp, dir.join(name))
        .map_err(|e| TrainError::checkpoint(dir, format!("cannot write {name}: {e}")))
}

pub fn load_weights(vs: &mut tch::nn::VarStore, dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    if !path.is_file() {
        return Err(TrainError::checkpoint(dir, format!("{name} is missing")));
    }
    vs.load(&path).map_err(|e| {
        TrainError::checkpoint(
            &path,
            format!("weights do not fit the model of checkpoint.json: {e}"),
        )
    })
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&dir).map_err(|e| TrainError::file(&dir, e))?;
    let name = path.file_name().and_then(|s| s.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let r = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(TrainError::file(path, e));
    }
    Ok(())
}

/// One look at the test split.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub at: String,
    pub data_hash: String,
    pub window: Value,
    pub acknowledged_burned: bool,
    /// The symbols whose test window this look saw: the checkpoint's trained symbols, or one
    /// symbol it never trained on (transfer). Absent in ledgers written before transfer looks
    /// existed: those were looks at the trained symbols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols: Option<Vec<String>>,
}

pub fn read_ledger(dir: &Path) -> Result<Vec<LedgerEntry>> {
    let path = dir.join(TEST_LEDGER);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| TrainError::file(&path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| TrainError::file(&path, format!("unreadable test ledger: {e}")))
}

pub fn append_ledger(dir: &Path, entry: LedgerEntry) -> Result<()> {
    let mut all = read_ledger(dir)?;
    all.push(entry);
    let json =
        serde_json::to_vec_pretty(&all).map_err(|e| TrainError::file(dir.join(TEST_LEDGER), e))?;
    write_atomic(&dir.join(TEST_LEDGER), &json)
}

/// The checkpoint's own record of test looks at `symbols` (its trained symbols, or one transfer
/// symbol): true when one of them had its test split seen before through this checkpoint; a
/// second look is refused unless `allow_burned`. Entries without `symbols` were looks at the
/// trained symbols (`trained`).
pub fn check_local_ledger(
    dir: &Path,
    symbols: &[String],
    trained: &[String],
    allow_burned: bool,
) -> Result<bool> {
    let ledger = read_ledger(dir)?;
    let seen: Vec<&LedgerEntry> = ledger
        .iter()
        .filter(|e| {
            e.symbols
                .as_deref()
                .unwrap_or(trained)
                .iter()
                .any(|s| symbols.contains(s))
        })
        .collect();
    let Some(first) = seen.first() else {
        return Ok(false);
    };
    if !allow_burned {
        return Err(TrainError::TestBurned(format!(
            "the test split of {} ({}) was already evaluated ({} time(s), first at {} on data {}); a second look is refused because \
             results read after seeing the test split are no longer out-of-sample. Pass --i-know-test-is-burned to see it anyway \
             (the result is then marked testBurned)",
            dir.display(),
            symbols.join(", "),
            seen.len(),
            first.at,
            first.data_hash
        )));
    }
    Ok(true)
}

/// Claims a look at `meta`'s test window for `symbols` (the symbols actually looked at: the
/// checkpoint's trained symbols, or the one transfer symbol) in the run registry's global lock
/// (keyed by symbol, interval and window, so a new directory or an identical retrain cannot
/// reset it). Returns
/// whether the window was seen before (acknowledged). A refused second look keeps its
/// TEST_BURNED meaning; any other registry failure (an unreadable file, a newer schema) is
/// reported as what it is.
pub fn claim_global_test_look(
    registry: &Path,
    meta: &CheckpointMeta,
    symbols: &[String],
    interval: &str,
    data_hash: &str,
    command: String,
    allow_burned: bool,
) -> Result<bool> {
    let lock = |e: tradelab_registry::RegistryError| match e {
        tradelab_registry::RegistryError::TestBurned(m) => TrainError::TestBurned(m),
        other => TrainError::file(registry, other),
    };
    let look = tradelab_registry::Registry::open(registry)
        .map_err(lock)?
        .claim_test_look(&tradelab_registry::TestLookRequest {
            symbols: symbols.to_vec(),
            interval: interval.to_string(),
            start: meta.splits.test_start,
            end: meta.splits.test_end,
            data_hash: Some(data_hash.to_string()),
            command,
            acknowledge_burned: allow_burned,
        })
        .map_err(lock)?;
    Ok(look.burned)
}

pub fn now_iso() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
