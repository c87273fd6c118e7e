//! The training config (camelCase JSON, unknown fields rejected). Every field is documented in
//! `crates/train/README.md`; defaults are small enough to train on a 2-core CPU in minutes.
use crate::error::{Result, TrainError};
use serde::{Deserialize, Serialize};
use std::path::Path;
use tradelab_core::Interval;
use tradelab_sim::{FillRule, SimParams};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrainConfig {
    /// Bar store root; `--store` overrides it. Relative paths are relative to the working directory.
    #[serde(default = "default_store")]
    pub store: String,
    /// One or more symbols. The first is the target: checkpoint selection uses its validation split.
    pub symbols: Vec<String>,
    #[serde(default = "default_interval")]
    pub interval: String,
    #[serde(default)]
    pub splits: SplitConfig,
    /// A `tradelab_features::FeatureSpec` (camelCase); omitted = the standard hourly set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<serde_json::Value>,
    #[serde(default)]
    pub decode: DecodeConfig,
    #[serde(default)]
    pub model: ModelConfig,
    #[serde(default)]
    pub optimizer: OptimConfig,
    #[serde(default)]
    pub training: TrainingConfig,
    #[serde(default)]
    pub sim: SimConfig,
    /// Quantile forecaster settings (`train-forecaster`).
    #[serde(default)]
    pub forecaster: ForecasterConfig,
    /// CPU threads for libtorch (intra-op). Fixed so runs repeat exactly. Default 1: the ops are
    /// small (d=64, T=72), and on a busy 2-core machine OpenMP's spinning made 2 threads 3-8x
    /// slower than 1 in `tradelab-train bench`.
    #[serde(default = "default_threads")]
    pub threads: i32,
}

fn default_store() -> String {
    "data/store".into()
}
fn default_interval() -> String {
    "1h".into()
}
fn default_threads() -> i32 {
    1
}

/// The one split definition (`tradelab_core::splits`), shared with backtests and sweeps.
pub use tradelab_core::splits::SplitConfig;

/// Where the buy/sell price band comes from (seed §4.1 midpoint mode).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum BandConfig {
    /// lo/hi = p50 of the forecast low/high over the next `horizon` bars, issued at the close of
    /// the decision bar, from a `tradelab_features` forecaster (by registry name, or a neural
    /// forecaster checkpoint directory written by `train-forecaster`).
    #[serde(rename_all = "camelCase")]
    Forecast {
        #[serde(default = "default_band_model")]
        model: String,
        #[serde(default = "default_horizon")]
        horizon: u32,
        #[serde(default)]
        checkpoint: Option<String>,
    },
    /// Fallback without a forecaster: lo/hi = close × (1 ∓ k × σ), σ = rolling std of 1-bar log
    /// returns over `window` bars ending at the decision bar.
    #[serde(rename_all = "camelCase")]
    Vol {
        #[serde(default = "default_vol_window")]
        window: usize,
        #[serde(default = "default_vol_k")]
        k: f64,
    },
}

fn default_band_model() -> String {
    "ewma-vol".into()
}
fn default_horizon() -> u32 {
    1
}
fn default_vol_window() -> usize {
    24
}
fn default_vol_k() -> f64 {
    1.5
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DecodeConfig {
    pub band: BandConfig,
    /// sell >= buy + close × minGap (fraction; 0.0003 = 3 bps).
    pub min_gap: f64,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            band: BandConfig::Forecast {
                model: default_band_model(),
                horizon: default_horizon(),
                checkpoint: None,
            },
            min_gap: 0.0003,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Arch {
    Nano,
    Classic,
    /// Feature tokenizer + encoder blocks across one bar's features, then causal blocks over time.
    FtTransformer,
}

impl Arch {
    pub fn name(self) -> &'static str {
        match self {
            Arch::Nano => "nano",
            Arch::Classic => "classic",
            Arch::FtTransformer => "ftTransformer",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ModelConfig {
    pub arch: Arch,
    pub d_model: i64,
    pub layers: i64,
    pub heads: i64,
    /// nano: key/value heads (grouped-query attention); must divide `heads`.
    pub kv_heads: i64,
    /// nano: sliding attention window W (position t sees t−W+1..=t).
    pub window: i64,
    /// Bars per window (72–96 in the seed).
    pub seq_len: i64,
    pub mlp_mult: i64,
    pub dropout: f64,
    /// nano: logits ← c·tanh(logits/c); 0 disables.
    pub softcap: f64,
    /// nano: value embeddings in layers whose index is a multiple of this; 0 disables.
    pub value_embed_every: i64,
    /// nano: residual scalars after each sublayer, x ← α·x + β·x0 (α init, β init).
    pub residual_init: f64,
    pub skip_init: f64,
    pub rope_base: f64,
    /// classic, ftTransformer: pre-norm (true) or post-norm (false, the seed's PyTorch default)
    /// encoder blocks.
    pub pre_norm: bool,
    /// ftTransformer: causal encoder blocks over time after the `layers` blocks over features.
    pub time_layers: i64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            arch: Arch::Nano,
            d_model: 64,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            window: 64,
            seq_len: 72,
            mlp_mult: 4,
            dropout: 0.0,
            softcap: 12.0,
            value_embed_every: 2,
            residual_init: 1.0,
            skip_init: 0.0,
            rope_base: 10_000.0,
            pre_norm: true,
            time_layers: 1,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OptimKind {
    /// Muon for 2-D hidden weights, AdamW for embed/head/norms/scalars.
    Muon,
    /// AdamW for everything (at `adamLr`).
    Adamw,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LrSchedule {
    Cosine,
    Linear,
    Constant,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OptimConfig {
    pub kind: OptimKind,
    /// Muon learning rate.
    pub lr: f64,
    /// AdamW learning rate.
    pub adam_lr: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub ns_steps: usize,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub warmup_steps: usize,
    pub schedule: LrSchedule,
    /// LR multiplier reached at the last step (cosine/linear).
    pub final_lr_frac: f64,
    /// Global gradient-norm clip; 0 disables.
    pub grad_clip: f64,
}

impl Default for OptimConfig {
    fn default() -> Self {
        OptimConfig {
            kind: OptimKind::Muon,
            lr: 0.02,
            adam_lr: 0.003,
            weight_decay: 1e-4,
            momentum: 0.95,
            ns_steps: 5,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            warmup_steps: 20,
            schedule: LrSchedule::Cosine,
            final_lr_frac: 0.1,
            grad_clip: 1.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TemperatureConfig {
    /// Soft-fill temperature (fraction of price) at the first step, annealed geometrically
    /// to `end` at the last step.
    pub start: f64,
    pub end: f64,
}

impl Default for TemperatureConfig {
    fn default() -> Self {
        TemperatureConfig {
            start: 0.01,
            end: 0.0005,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TrainingConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// Batches per epoch; `None` = one pass over the (shuffled) training windows.
    pub steps_per_epoch: Option<usize>,
    pub seed: u64,
    /// λ in loss = −Sortino − λ·(annualised mean return).
    pub return_weight: f64,
    pub temperature: TemperatureConfig,
    /// Stride between training window starts (1 = every bar).
    pub window_stride: usize,
    /// Fill model of the differentiable simulator: `soft` (expected-value fills, the seed's) or
    /// `straightThrough` (exact 0/1 fills forward, sigmoid gradient backward).
    pub fills: FillGradient,
    /// Epoch weights kept as `epoch-NNN.safetensors`: `None` keeps every epoch, `k` the top k by
    /// the target symbol's validation Sortino (the best epoch is always among them).
    pub keep_epochs: Option<usize>,
    /// Deterministic mode (also `--deterministic`): libtorch on one intra-op and one inter-op
    /// thread whatever `threads` says, CPU only (see `crate::environment`). Omitted from the
    /// written config when false, so checkpoints sealed before it existed still verify.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deterministic: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum FillGradient {
    #[default]
    Soft,
    StraightThrough,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            epochs: 4,
            batch_size: 32,
            steps_per_epoch: Some(60),
            seed: 7,
            return_weight: 0.08,
            temperature: TemperatureConfig::default(),
            window_stride: 1,
            fills: FillGradient::Soft,
            keep_epochs: None,
            deterministic: false,
        }
    }
}

/// The simulator section: the parameters the differentiable simulator models, with the exact
/// simulator's own fill rule (`tradelab_sim::FillRule`, one definition for training, evaluation
/// and every other engine). Everything else in `SimParams` stays at its honest default.
///
/// Read through `SimConfigJson`, which also accepts the spelling before `fillRule`
/// (`"fill": "touch" | "cross"` with `"fillBuffer"`), so older configs and `checkpoint.json`
/// files keep loading with the rule they trained with. Written back as `fillRule` only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "SimConfigJson")]
pub struct SimConfig {
    pub decision_lag: usize,
    pub maker_fee: f64,
    pub taker_fee: f64,
    /// `{"kind": "cross", "buffer": 0.0005}` (the default: the bar must trade through the limit
    /// by 5 bps) or `{"kind": "touch"}` (fills at exactly the limit: assumes queue priority).
    pub fill_rule: FillRule,
    pub starting_cash: f64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            decision_lag: 1,
            maker_fee: 0.001,
            taker_fee: 0.001,
            fill_rule: FillRule::honest_default(),
            starting_cash: 10_000.0,
        }
    }
}

/// The old fill spelling (`"fill"`), read for compatibility only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum LegacyFill {
    Touch,
    Cross,
}

/// The buffer the old `"fill": "cross"` used when `fillBuffer` was absent.
const LEGACY_FILL_BUFFER: f64 = 0.0005;

/// The JSON shape of `sim`: the current fields plus the old `fill` / `fillBuffer`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
struct SimConfigJson {
    decision_lag: usize,
    maker_fee: f64,
    taker_fee: f64,
    fill_rule: Option<FillRule>,
    starting_cash: f64,
    /// Old: `"touch"` or `"cross"`. `"touch"` ignores `fillBuffer` (old checkpoints always wrote
    /// `"fillBuffer": 0.0005` next to it), `"cross"` uses it (default 0.0005).
    fill: Option<LegacyFill>,
    fill_buffer: Option<f64>,
}

impl Default for SimConfigJson {
    fn default() -> Self {
        let d = SimConfig::default();
        SimConfigJson {
            decision_lag: d.decision_lag,
            maker_fee: d.maker_fee,
            taker_fee: d.taker_fee,
            fill_rule: None,
            starting_cash: d.starting_cash,
            fill: None,
            fill_buffer: None,
        }
    }
}

impl TryFrom<SimConfigJson> for SimConfig {
    type Error = String;

    fn try_from(j: SimConfigJson) -> std::result::Result<Self, String> {
        let fill_rule = match (j.fill_rule, j.fill, j.fill_buffer) {
            (Some(rule), None, None) => rule,
            (Some(_), _, _) => {
                return Err(
                    "`fillRule` and the old `fill`/`fillBuffer` are both set; keep only \
                            `fillRule`"
                        .into(),
                )
            }
            (None, Some(LegacyFill::Touch), _) => FillRule::Touch,
            (None, Some(LegacyFill::Cross), b) => FillRule::Cross {
                buffer: b.unwrap_or(LEGACY_FILL_BUFFER),
            },
            (None, None, Some(b)) => {
                return Err(format!(
                    "`fillBuffer` without `fill` is ambiguous (in the old spelling it meant touch, \
                     the old default, and the buffer was ignored); write \
                     `\"fillRule\": {{\"kind\": \"cross\", \"buffer\": {b}}}` or \
                     `\"fillRule\": {{\"kind\": \"touch\"}}`"
                ))
            }
            (None, None, None) => FillRule::honest_default(),
        };
        Ok(SimConfig {
            decision_lag: j.decision_lag,
            maker_fee: j.maker_fee,
            taker_fee: j.taker_fee,
            fill_rule,
            starting_cash: j.starting_cash,
        })
    }
}

impl SimConfig {
    /// The exact simulator's parameters for this config (everything else at its honest default).
    pub fn params(&self, interval: Interval) -> SimParams {
        SimParams {
            decision_lag: self.decision_lag,
            fill_rule: self.fill_rule,
            maker_fee: self.maker_fee,
            taker_fee: self.taker_fee,
            starting_cash: self.starting_cash,
            interval_ms: interval.ms(),
            ..SimParams::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ForecasterConfig {
    /// Forecast horizons in bars.
    pub horizons: Vec<u32>,
    pub quantiles: Vec<f64>,
    pub d_model: i64,
    /// Causal convolution kernel size and layers.
    pub kernel: i64,
    pub layers: i64,
    pub seq_len: i64,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    pub batch_size: usize,
    pub lr: f64,
}

impl Default for ForecasterConfig {
    fn default() -> Self {
        ForecasterConfig {
            horizons: vec![1, 4, 24],
            quantiles: vec![0.1, 0.5, 0.9],
            d_model: 32,
            kernel: 4,
            layers: 3,
            seq_len: 48,
            epochs: 3,
            steps_per_epoch: 60,
            batch_size: 64,
            lr: 0.003,
        }
    }
}

impl TrainConfig {
    /// Reads and validates a config file; errors name the file and the JSON path of the field.
    pub fn load(path: &Path) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| TrainError::file(path, e))?;
        Self::from_json(&text).map_err(|e| match e {
            TrainError::Config { field, message } => {
                TrainError::file(path, format!("config field {field}: {message}"))
            }
            other => other,
        })
    }

    pub fn from_json(text: &str) -> Result<TrainConfig> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let cfg: TrainConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            TrainError::config(
                if field == "." {
                    "(top level)".into()
                } else {
                    field
                },
                e.inner().to_string(),
            )
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn interval(&self) -> Result<Interval> {
        self.interval
            .parse::<Interval>()
            .map_err(|e| TrainError::config("interval", e.to_string()))
    }

    pub fn validate(&self) -> Result<()> {
        let bad = |f: &str, m: String| Err(TrainError::config(f, m));
        if self.symbols.is_empty() {
            return bad("symbols", "needs at least one symbol".into());
        }
        for (i, s) in self.symbols.iter().enumerate() {
            if let Err(e) = tradelab_core::Symbol::parse(s) {
                return bad(&format!("symbols[{i}]"), e.to_string());
            }
        }
        self.interval()?;
        let pos = |f: &str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                bad(f, format!("must be finite and > 0 (got {v})"))
            }
        };
        pos("splits.valDays", self.splits.val_days)?;
        pos("splits.testDays", self.splits.test_days)?;
        if let Some(d) = self.splits.max_train_days {
            pos("splits.maxTrainDays", d)?;
        }
        if self.training.keep_epochs == Some(0) {
            return bad(
                "training.keepEpochs",
                "must be >= 1 (the best epoch is always kept), or left out to keep every epoch"
                    .into(),
            );
        }
        let m = &self.model;
        let ge1 = |f: &str, v: i64| -> Result<()> {
            if v >= 1 {
                Ok(())
            } else {
                bad(f, format!("must be >= 1 (got {v})"))
            }
        };
        ge1("model.dModel", m.d_model)?;
        ge1("model.layers", m.layers)?;
        ge1("model.timeLayers", m.time_layers)?;
        ge1("model.heads", m.heads)?;
        ge1("model.kvHeads", m.kv_heads)?;
        ge1("model.window", m.window)?;
        ge1("model.mlpMult", m.mlp_mult)?;
        if m.seq_len < 2 || m.seq_len > 4096 {
            return bad(
                "model.seqLen",
                format!("must be in [2, 4096] (got {})", m.seq_len),
            );
        }
        if m.d_model % m.heads != 0 {
            return bad(
                "model.heads",
                format!("must divide dModel {} (got {})", m.d_model, m.heads),
            );
        }
        if (m.d_model / m.heads) % 2 != 0 && m.arch == Arch::Nano {
            return bad("model.heads", "dModel/heads must be even for RoPE".into());
        }
        if m.heads % m.kv_heads != 0 {
            return bad(
                "model.kvHeads",
                format!("must divide heads {} (got {})", m.heads, m.kv_heads),
            );
        }
        if !(0.0..1.0).contains(&m.dropout) {
            return bad(
                "model.dropout",
                format!("must be in [0, 1) (got {})", m.dropout),
            );
        }
        if !(m.softcap.is_finite() && m.softcap >= 0.0) {
            return bad("model.softcap", format!("must be >= 0 (got {})", m.softcap));
        }
        if m.value_embed_every < 0 {
            return bad("model.valueEmbedEvery", "must be >= 0".into());
        }
        let o = &self.optimizer;
        pos("optimizer.lr", o.lr)?;
        pos("optimizer.adamLr", o.adam_lr)?;
        if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
            return bad("optimizer.weightDecay", "must be >= 0".into());
        }
        for (f, v) in [
            ("optimizer.momentum", o.momentum),
            ("optimizer.beta1", o.beta1),
            ("optimizer.beta2", o.beta2),
        ] {
            if !(0.0..1.0).contains(&v) {
                return bad(f, format!("must be in [0, 1) (got {v})"));
            }
        }
        pos("optimizer.eps", o.eps)?;
        if !(o.final_lr_frac.is_finite() && (0.0..=1.0).contains(&o.final_lr_frac)) {
            return bad("optimizer.finalLrFrac", "must be in [0, 1]".into());
        }
        if !(o.grad_clip.is_finite() && o.grad_clip >= 0.0) {
            return bad("optimizer.gradClip", "must be >= 0".into());
        }
        let t = &self.training;
        if t.epochs == 0 {
            return bad("training.epochs", "must be >= 1".into());
        }
        if t.batch_size == 0 {
            return bad("training.batchSize", "must be >= 1".into());
        }
        if t.steps_per_epoch == Some(0) {
            return bad("training.stepsPerEpoch", "must be >= 1 (or absent)".into());
        }
        if t.window_stride == 0 {
            return bad("training.windowStride", "must be >= 1".into());
        }
        if !t.return_weight.is_finite() {
            return bad("training.returnWeight", "must be finite".into());
        }
        pos("training.temperature.start", t.temperature.start)?;
        pos("training.temperature.end", t.temperature.end)?;
        let s = &self.sim;
        if s.decision_lag as i64 >= m.seq_len - 1 {
            return bad(
                "sim.decisionLag",
                format!("must be < seqLen - 1 ({})", m.seq_len - 1),
            );
        }
        if s.decision_lag == 0 {
            // Allowed, but the exact simulator labels every result OPTIMISTIC.
        }
        let buffer = match s.fill_rule {
            FillRule::Cross { buffer } => buffer,
            FillRule::Touch => 0.0,
        };
        for (f, v) in [
            ("sim.makerFee", s.maker_fee),
            ("sim.takerFee", s.taker_fee),
            ("sim.fillRule.buffer", buffer),
        ] {
            if !(v.is_finite() && (0.0..0.5).contains(&v)) {
                return bad(f, format!("must be in [0, 0.5) (got {v})"));
            }
        }
        pos("sim.startingCash", s.starting_cash)?;
        if !(self.decode.min_gap.is_finite() && self.decode.min_gap >= 0.0) {
            return bad("decode.minGap", "must be >= 0".into());
        }
        match &self.decode.band {
            BandConfig::Vol { window, k } => {
                if *window < 2 {
                    return bad("decode.band.window", "must be >= 2".into());
                }
                pos("decode.band.k", *k)?;
            }
            BandConfig::Forecast { horizon, .. } => {
                if *horizon == 0 {
                    return bad("decode.band.horizon", "must be >= 1".into());
                }
            }
        }
        if !(1..=64).contains(&self.threads) {
            return bad(
                "threads",
                format!("must be in [1, 64] (got {})", self.threads),
            );
        }
        let f = &self.forecaster;
        if f.horizons.is_empty() || f.horizons.contains(&0) {
            return bad("forecaster.horizons", "needs horizons >= 1".into());
        }
        if f.quantiles.is_empty() || f.quantiles.iter().any(|q| !(*q > 0.0 && *q < 1.0)) {
            return bad("forecaster.quantiles", "needs quantiles in (0, 1)".into());
        }
        ge1("forecaster.dModel", f.d_model)?;
        ge1("forecaster.kernel", f.kernel)?;
        ge1("forecaster.layers", f.layers)?;
        if f.seq_len < 2 {
            return bad("forecaster.seqLen", "must be >= 2".into());
        }
        if f.epochs == 0 || f.steps_per_epoch == 0 || f.batch_size == 0 {
            return bad(
                "forecaster.epochs",
                "epochs, stepsPerEpoch and batchSize must be >= 1".into(),
            );
        }
        pos("forecaster.lr", f.lr)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_gets_defaults() {
        let c = TrainConfig::from_json(r#"{"symbols":["SOL/USDT"]}"#).unwrap();
        assert_eq!(c.model.seq_len, 72);
        assert_eq!(c.sim.decision_lag, 1);
        assert_eq!(
            c.sim.params(c.interval().unwrap()).describe().text,
            "lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760"
        );
        assert_eq!(c.sim.fill_rule, FillRule::honest_default());
    }

    fn sim(section: &str) -> Result<SimConfig> {
        TrainConfig::from_json(&format!(r#"{{"symbols":["SOL/USDT"],"sim":{section}}}"#))
            .map(|c| c.sim)
    }

    #[test]
    fn sim_takes_the_simulators_fill_rule() {
        let s = sim(r#"{"fillRule":{"kind":"touch"}}"#).unwrap();
        assert_eq!(s.fill_rule, FillRule::Touch);
        assert_eq!(
            s.params(Interval::H1).describe().text,
            "lag 1 · touch (assumes queue priority) · maker 0.1% / taker 0.1% · P 8760"
        );
        let s = sim(r#"{"decisionLag":2,"fillRule":{"kind":"cross","buffer":0}}"#).unwrap();
        assert_eq!(s.fill_rule, FillRule::Cross { buffer: 0.0 });
        assert_eq!(s.decision_lag, 2);
        // Written back with the simulator's spelling only, and read back unchanged.
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"decisionLag": 2, "makerFee": 0.001, "takerFee": 0.001,
                "fillRule": {"kind": "cross", "buffer": 0.0}, "startingCash": 10000.0})
        );
        assert_eq!(serde_json::from_value::<SimConfig>(json).unwrap(), s);
    }

    /// Configs and checkpoint.json files from before `fillRule` keep the rule they trained with.
    #[test]
    fn old_fill_spelling_still_loads() {
        let cases = [
            // What old checkpoints wrote for the old default.
            (
                r#"{"decisionLag":1,"makerFee":0.001,"takerFee":0.001,"fill":"touch","fillBuffer":0.0005,"startingCash":10000.0}"#,
                FillRule::Touch,
            ),
            (r#"{"fill":"touch"}"#, FillRule::Touch),
            (r#"{"fill":"cross"}"#, FillRule::Cross { buffer: 0.0005 }),
            (
                r#"{"fill":"cross","fillBuffer":0.001}"#,
                FillRule::Cross { buffer: 0.001 },
            ),
            // Cross with no buffer is a strict trade-through now in training too (it was touch).
            (
                r#"{"fill":"cross","fillBuffer":0}"#,
                FillRule::Cross { buffer: 0.0 },
            ),
        ];
        for (section, rule) in cases {
            assert_eq!(sim(section).unwrap().fill_rule, rule, "{section}");
        }
        // The path checkpoint.json takes (plain serde, no from_json).
        let old: TrainConfig = serde_json::from_str(
            r#"{"symbols":["SOL/USDT"],"sim":{"decisionLag":1,"makerFee":0.001,"takerFee":0.001,"fill":"touch","fillBuffer":0.0005,"startingCash":10000.0}}"#,
        )
        .unwrap();
        assert_eq!(old.sim.fill_rule, FillRule::Touch);
        assert!(old.validate().is_ok());
    }

    /// The shipped example trains with the default fill.
    #[test]
    fn example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/train-sol.json");
        let c = TrainConfig::load(&path).unwrap();
        assert_eq!(c.sim.fill_rule, FillRule::honest_default());
    }

    #[test]
    fn fill_errors_name_the_field() {
        let msg = |section: &str| sim(section).unwrap_err().to_string();
        let e = msg(r#"{"fillRule":{"kind":"touch"},"fill":"touch"}"#);
        assert!(
            e.starts_with("config field sim:") && e.contains("fillRule") && e.contains("fill"),
            "{e}"
        );
        let e = msg(r#"{"fillBuffer":0.001}"#);
        assert!(
            e.starts_with("config field sim:") && e.contains("`fillBuffer` without `fill`"),
            "{e}"
        );
        let e = msg(r#"{"fill":"trade"}"#);
        assert!(e.starts_with("config field sim.fill:"), "{e}");
        let e = msg(r#"{"fillRule":{"kind":"cross","buffer":0.7}}"#);
        assert!(e.starts_with("config field sim.fillRule.buffer:"), "{e}");
        let e = msg(r#"{"fill":"cross","fillBuffer":-0.1}"#);
        assert!(e.starts_with("config field sim.fillRule.buffer:"), "{e}");
        let e = msg(r#"{"fillRule":{"kind":"cross"}}"#);
        assert!(e.starts_with("config field sim.fillRule"), "{e}");
        let e = msg(r#"{"maxHoldBars":6}"#);
        assert!(
            e.starts_with("config field sim") && e.contains("unknown field `maxHoldBars`"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = TrainConfig::from_json(r#"{"symbols":["SOL/USDT"],"model":{"dModel":"x"}}"#)
            .unwrap_err();
        assert!(
            e.to_string().starts_with("config field model.dModel:"),
            "{e}"
        );
        let e = TrainConfig::from_json(r#"{"symbols":["SOL/USDT"],"model":{"dmodel":64}}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `dmodel`"), "{e}");
        let e =
            TrainConfig::from_json(r#"{"symbols":["SOL/USDT"],"model":{"heads":3}}"#).unwrap_err();
        assert!(
            e.to_string().starts_with("config field model.heads:"),
            "{e}"
        );
        let e = TrainConfig::from_json(r#"{"symbols":[]}"#).unwrap_err();
        assert!(e.to_string().starts_with("config field symbols:"), "{e}");
        let e = TrainConfig::from_json(r#"{"symbols":["SOL/USDT"],"sim":{"makerFee":-1}}"#)
            .unwrap_err();
        assert!(
            e.to_string().starts_with("config field sim.makerFee:"),
            "{e}"
        );
    }

    #[test]
    fn band_kinds_parse() {
        let c = TrainConfig::from_json(
            r#"{"symbols":["SOL/USDT"],"decode":{"band":{"kind":"forecast","model":"ewma-vol","horizon":1}}}"#,
        )
        .unwrap();
        assert!(matches!(
            c.decode.band,
            BandConfig::Forecast { horizon: 1, .. }
        ));
    }
}
