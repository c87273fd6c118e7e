//! Neural quantile forecaster: a small causal dilated-convolution network over the normalised
//! feature window, trained with pinball loss on log-return targets, exposed through
//! `tradelab_features::forecast::Forecaster` (loaded from a checkpoint directory).
//!
//! Targets for row t and horizon h (bars t+1..=t+h must be consecutive): close = ln(close[t+h] /
//! close[t]), high = ln(max high[t+1..=t+h] / close[t]), low = ln(min low[t+1..=t+h] / close[t]);
//! each divided by its training-split standard deviation. Row t of a forecast uses the window of
//! `forecaster.seqLen` rows ending at t (last position), so it is issued at the close of bar t.
//! Training targets never reach past the training split; validation targets stay inside val.
use crate::checkpoint::{self, BEST_WEIGHTS};
use crate::config::{ForecasterConfig, TrainConfig};
use crate::data::{feature_spec, windows_ending_at, Dataset, Normalisers, Split, SplitBounds};
use crate::error::{Result, TrainError};
use crate::events::Sink;
use crate::model::layers::Linear;
use crate::rng::SplitMix64;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;
use tch::nn::{Init, Path as VPath, VarStore};
use tch::{Device, Kind, Tensor};
use tradelab_core::{Bars, Interval};
use tradelab_features::forecast::{column_name, ForecastFrame, Forecaster, TARGETS};
use tradelab_features::{build_features, FeatureError, FeatureSchema, Normaliser};

pub const FORMAT: &str = "tradelab-forecaster/1";
pub const META_FILE: &str = "forecaster.json";

/// Causal dilated conv stack: Linear embed → L × (left-padded conv, dilation 2^i, GELU, residual)
/// → Linear head with one output per (target, horizon, quantile).
#[derive(Debug)]
pub struct ConvQuantileNet {
    embed: Linear,
    convs: Vec<(Tensor, Tensor)>,
    head: Linear,
    kernel: i64,
}

impl ConvQuantileNet {
    pub fn new(p: &VPath, c: &ForecasterConfig, n_features: i64, n_out: i64) -> Self {
        let d = c.d_model;
        let std = 1.0 / ((d * c.kernel) as f64).sqrt();
        let convs = (0..c.layers)
            .map(|i| {
                let b = p / "convs" / i;
                (
                    b.var(
                        "weight",
                        &[d, d, c.kernel],
                        Init::Randn {
                            mean: 0.0,
                            stdev: std,
                        },
                    ),
                    b.var("bias", &[d], Init::Const(0.0)),
                )
            })
            .collect();
        ConvQuantileNet {
            embed: Linear::new(p, "embed", n_features, d, true, false),
            convs,
            head: Linear::new(p, "head", d, n_out, true, false),
            kernel: c.kernel,
        }
    }

    /// [B, T, F] → [B, T, K]; position t sees rows <= t only (left padding).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut h = self.embed.forward(x).transpose(1, 2); // [B, d, T]
        for (i, (w, b)) in self.convs.iter().enumerate() {
            let dil = 1i64 << i;
            let pad = (self.kernel - 1) * dil;
            let y = h
                .constant_pad_nd([pad, 0])
                .conv1d(w, Some(b), [1], [0], [dil], 1)
                .gelu("none");
            h += y;
        }
        self.head.forward(&h.transpose(1, 2))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecasterMeta {
    pub format: String,
    pub config: TrainConfig,
    pub feature_schema: FeatureSchema,
    pub n_features: usize,
    /// The normaliser of the first symbol is the one used when forecasting arbitrary bars.
    pub normalisers: BTreeMap<String, Normaliser>,
    pub horizons: Vec<u32>,
    pub quantiles: Vec<f64>,
    /// Target scale (training std) per output group, in TARGETS × horizons order.
    pub scales: Vec<f64>,
    pub splits: SplitBounds,
    pub data_hash: String,
    pub code_version: String,
    pub epochs: Vec<serde_json::Value>,
    pub best_epoch: Option<usize>,
}

/// Unscaled log-return targets [rows × groups] (groups = TARGETS × horizons), NaN where the bars
/// t+1..=t+h are missing or not consecutive.
pub fn targets(b: &Bars, interval: Interval, horizons: &[u32]) -> Vec<Vec<f64>> {
    let n = b.len();
    let step = interval.ms();
    let mut out = Vec::new();
    for target in TARGETS {
        for &h in horizons {
            let h = h as usize;
            let col = (0..n)
                .map(|t| {
                    if t + h >= n || b.ts[t + h] - b.ts[t] != h as i64 * step {
                        return f64::NAN;
                    }
                    let v = match target {
                        "close" => b.close[t + h],
                        "high" => b.high[t + 1..=t + h]
                            .iter()
                            .copied()
                            .fold(f64::MIN, f64::max),
                        _ => b.low[t + 1..=t + h]
                            .iter()
                            .copied()
                            .fold(f64::MAX, f64::min),
                    };
                    (v / b.close[t]).ln()
                })
                .collect();
            out.push(col);
        }
    }
    out
}

fn pinball(pred: &Tensor, y: &Tensor, mask: &Tensor, q: &Tensor) -> Tensor {
    let e = y - pred;
    let l = (&e * q).maximum(&(&e * (q - 1.0)));
    (l * mask).sum(Kind::Float) / mask.sum(Kind::Float).clamp_min(1.0)
}

struct Prepared {
    /// Scaled targets per symbol, row-major [rows × K] with K = groups × quantiles (repeated).
    y: Vec<Vec<f32>>,
    m: Vec<Vec<f32>>,
}

fn prepare(ds: &Dataset, fc: &ForecasterConfig, scales: &[f64], split: Split) -> Prepared {
    let nq = fc.quantiles.len();
    let (a, b) = ds.bounds.of(split);
    let mut ys = Vec::new();
    let mut ms = Vec::new();
    for s in &ds.symbols {
        let tg = targets(&s.bars, ds.interval, &fc.horizons);
        let rows = s.rows_between(a, b);
        let n = s.rows();
        let k = tg.len() * nq;
        let mut y = vec![0f32; n * k];
        let mut m = vec![0f32; n * k];
        for (g, col) in tg.iter().enumerate() {
            let h = fc.horizons[g % fc.horizons.len()] as usize;
            for t in rows.clone() {
                // The target's last bar must lie inside the same split.
                if t + h >= rows.end || !col[t].is_finite() {
                    continue;
                }
                for qi in 0..nq {
                    y[t * k + g * nq + qi] = (col[t] / scales[g]) as f32;
                    m[t * k + g * nq + qi] = 1.0;
                }
            }
        }
        ys.push(y);
        ms.push(m);
    }
    Prepared { y: ys, m: ms }
}

/// Trains a quantile forecaster on `cfg` (features, splits, symbols; hyper-parameters in
/// `cfg.forecaster`) and writes `<out>/forecaster.json` + `weights.safetensors` (best val pinball).
pub fn train_forecaster(
    cfg: &TrainConfig,
    store: &Path,
    out: &Path,
    device: Device,
    sink: &mut dyn Sink,
) -> Result<PathBuf> {
    let t0 = Instant::now();
    let fc = &cfg.forecaster;
    if feature_spec(cfg)?.forecast.is_some() {
        return Err(TrainError::config(
            "features.forecast",
            "a forecaster cannot take forecast features as input",
        ));
    }
    if out.join(META_FILE).exists() {
        return Err(TrainError::Usage(format!(
            "{} already holds a forecaster; choose another --out",
            out.display()
        )));
    }
    crate::environment::apply_threads(cfg.threads, cfg.training.deterministic)?;
    let mut fcfg = cfg.clone();
    fcfg.model.seq_len = fc.seq_len; // splits purge and windows use the forecaster's window
    let ds = Dataset::load(&fcfg, store, None, Normalisers::FitOnTrain)?;
    let seq = fc.seq_len as usize;
    let nq = fc.quantiles.len();
    let groups = TARGETS.len() * fc.horizons.len();
    let k = (groups * nq) as i64;
    // Target scales from the training split of all symbols.
    let scales: Vec<f64> = (0..groups)
        .map(|g| {
            let mut v = Vec::new();
            for s in &ds.symbols {
                let tg = targets(&s.bars, ds.interval, &fc.horizons);
                let r = s.rows_between(ds.bounds.train_start, ds.bounds.train_end);
                v.extend(tg[g][r].iter().copied().filter(|x| x.is_finite()));
            }
            let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
            let sd =
                (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len().max(1) as f64).sqrt();
            if sd > 1e-9 {
                sd
            } else {
                1.0
            }
        })
        .collect();
    let train = prepare(&ds, fc, &scales, Split::Train);
    let val = prepare(&ds, fc, &scales, Split::Val);
    let windows = ds.train_windows(seq, 1);
    if windows.is_empty() {
        return Err(TrainError::Data(
            "no training windows for the forecaster".into(),
        ));
    }
    tch::manual_seed(cfg.training.seed as i64);
    let vs = VarStore::new(device);
    let net = ConvQuantileNet::new(&vs.root(), fc, ds.n_features as i64, k);
    let ocfg = crate::config::OptimConfig {
        kind: crate::config::OptimKind::Adamw,
        adam_lr: fc.lr,
        warmup_steps: 10,
        ..Default::default()
    };
    let mut opt = crate::optim::Optimizer::new(&vs, &ocfg);
    let qv: Vec<f32> = (0..groups)
        .flat_map(|_| fc.quantiles.iter().map(|&q| q as f32))
        .collect();
    let q = Tensor::from_slice(&qv).to_device(device);
    std::fs::create_dir_all(out).map_err(|e| TrainError::file(out, e))?;
    sink.emit(json!({
        "event": "start", "kind": "forecaster", "device": crate::trainer::device_name(device),
        "cuda": tch::Cuda::is_available(), "params": crate::model::param_count(&vs), "trainWindows": windows.len(),
        "features": ds.n_features, "horizons": fc.horizons, "quantiles": fc.quantiles, "config": cfg,
    }));
    let mut meta = ForecasterMeta {
        format: FORMAT.into(),
        config: cfg.clone(),
        feature_schema: ds.schema.clone(),
        n_features: ds.n_features,
        normalisers: ds
            .symbols
            .iter()
            .map(|s| (s.symbol.clone(), s.normaliser.clone()))
            .collect(),
        horizons: fc.horizons.clone(),
        quantiles: fc.quantiles.clone(),
        scales: scales.clone(),
        splits: ds.bounds.clone(),
        data_hash: ds.data_hash.clone(),
        code_version: checkpoint::code_version(),
        epochs: Vec::new(),
        best_epoch: None,
    };
    let mut rng = SplitMix64::new(cfg.training.seed);
    let mut order: Vec<usize> = (0..windows.len()).collect();
    rng.shuffle(&mut order);
    let mut cursor = 0;
    let total = fc.epochs * fc.steps_per_epoch;
    let f = ds.n_features;
    let mut best = f64::INFINITY;
    for epoch in 0..fc.epochs {
        let te = Instant::now();
        let mut sum = 0.0;
        for step in 0..fc.steps_per_epoch {
            let (mut x, mut y, mut m) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..fc.batch_size {
                if cursor == order.len() {
                    rng.shuffle(&mut order);
                    cursor = 0;
                }
                let (si, st) = windows[order[cursor]];
                cursor += 1;
                x.extend_from_slice(&ds.symbols[si].x[st * f..(st + seq) * f]);
                y.extend_from_slice(&train.y[si][st * k as usize..(st + seq) * k as usize]);
                m.extend_from_slice(&train.m[si][st * k as usize..(st + seq) * k as usize]);
            }
            let bsz = fc.batch_size as i64;
            let shape = [bsz, seq as i64, k];
            let xt = Tensor::from_slice(&x)
                .view([bsz, seq as i64, f as i64])
                .to_device(device);
            let yt = Tensor::from_slice(&y).view(shape).to_device(device);
            let mt = Tensor::from_slice(&m).view(shape).to_device(device);
            opt.zero_grad();
            let loss = pinball(&net.forward(&xt), &yt, &mt, &q);
            let lv = f64::try_from(&loss).unwrap_or(f64::NAN);
            if !lv.is_finite() {
                return Err(TrainError::Data(format!(
                    "forecaster loss became {lv} (lower forecaster.lr)"
                )));
            }
            loss.backward();
            opt.clip_grad_norm(1.0);
            let g = epoch * fc.steps_per_epoch + step;
            opt.step(crate::optim::lr_multiplier(&ocfg, g, total));
            sum += lv;
        }
        // Validation pinball (last position of windows ending at each val row) and coverage.
        let (val_loss, coverage) =
            tch::no_grad(|| validate(&net, &ds, &val, fc, k as usize, device));
        let is_best = val_loss < best;
        checkpoint::save_weights(&vs, out, "last.safetensors")?;
        if is_best {
            best = val_loss;
            checkpoint::save_weights(&vs, out, BEST_WEIGHTS)?;
            meta.best_epoch = Some(epoch + 1);
        }
        let rec = json!({
            "epoch": epoch + 1, "trainPinball": sum / fc.steps_per_epoch as f64, "valPinball": val_loss,
            "valCoverage": coverage, "best": is_best, "seconds": te.elapsed().as_secs_f64(),
        });
        meta.epochs.push(rec.clone());
        let bytes = serde_json::to_vec_pretty(&meta)
            .map_err(|e| TrainError::file(out.join(META_FILE), e))?;
        checkpoint::write_atomic(&out.join(META_FILE), &bytes)?;
        let mut ev = rec;
        ev["event"] = json!("epoch");
        ev["epochs"] = json!(fc.epochs);
        sink.emit(ev);
    }
    sink.emit(json!({
        "event": "done", "kind": "forecaster", "checkpoint": out.display().to_string(),
        "bestEpoch": meta.best_epoch, "valPinball": best, "seconds": t0.elapsed().as_secs_f64(),
    }));
    Ok(out.to_path_buf())
}

/// Mean val pinball (in target-std units) and, per (target, horizon), the fraction of val targets
/// inside [lowest quantile, highest quantile].
fn validate(
    net: &ConvQuantileNet,
    ds: &Dataset,
    val: &Prepared,
    fc: &ForecasterConfig,
    k: usize,
    device: Device,
) -> (f64, serde_json::Value) {
    let seq = fc.seq_len as usize;
    let nq = fc.quantiles.len();
    let (a, b) = ds.bounds.of(Split::Val);
    let (mut loss_sum, mut n) = (0.0, 0.0);
    let mut cover: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    for (si, s) in ds.symbols.iter().enumerate() {
        let rows: Vec<usize> = s
            .rows_between(a, b)
            .filter(|&r| r + 1 >= seq && s.window_ok(r + 1 - seq, seq))
            .collect();
        for chunk in rows.chunks(512) {
            let x = windows_ending_at(s, ds.n_features, chunk, seq, device);
            let out = net
                .forward(&x)
                .select(1, seq as i64 - 1)
                .to_device(Device::Cpu)
                .to_kind(Kind::Double);
            let p: Vec<f64> = Vec::try_from(out.flatten(0, -1)).unwrap_or_default();
            for (ci, &r) in chunk.iter().enumerate() {
                for g in 0..k / nq {
                    let base = r * k + g * nq;
                    if val.m[si][base] == 0.0 {
                        continue;
                    }
                    let y = val.y[si][base] as f64;
                    let preds = &p[ci * k + g * nq..ci * k + (g + 1) * nq];
                    for (qi, &qq) in fc.quantiles.iter().enumerate() {
                        let e = y - preds[qi];
                        loss_sum += (qq * e).max((qq - 1.0) * e);
                        n += 1.0;
                    }
                    let (lo, hi) = preds
                        .iter()
                        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
                    let key = format!(
                        "{}_h{}",
                        TARGETS[g / fc.horizons.len()],
                        fc.horizons[g % fc.horizons.len()]
                    );
                    let c = cover.entry(key).or_insert((0.0, 0.0));
                    c.0 += f64::from(u8::from(y >= lo && y <= hi));
                    c.1 += 1.0;
                }
            }
        }
    }
    let cov: serde_json::Map<String, serde_json::Value> = cover
        .into_iter()
        .map(|(k, (a, b))| (k, json!(a / b.max(1.0))))
        .collect();
    (
        if n > 0.0 { loss_sum / n } else { f64::NAN },
        serde_json::Value::Object(cov),
    )
}

/// A trained forecaster loaded from its directory; implements `Forecaster`.
pub struct NeuralForecaster {
    dir: PathBuf,
    meta: ForecasterMeta,
    inner: Mutex<(VarStore, ConvQuantileNet)>,
}

impl std::fmt::Debug for NeuralForecaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NeuralForecaster")
            .field("dir", &self.dir)
            .finish()
    }
}

/// `sha256:…` over a forecaster checkpoint's `forecaster.json` and best weights: what a policy
/// pins, so a retrained or swapped forecaster under the same path is refused.
pub fn weights_hash(dir: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for name in [META_FILE, BEST_WEIGHTS] {
        let p = dir.join(name);
        let bytes = std::fs::read(&p)
            .map_err(|e| TrainError::checkpoint(dir, format!("cannot read {name}: {e}")))?;
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    Ok(format!(
        "sha256:{}",
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ))
}

impl NeuralForecaster {
    pub fn load(dir: &Path) -> Result<NeuralForecaster> {
        let path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| TrainError::checkpoint(dir, format!("cannot read {META_FILE}: {e}")))?;
        let meta: ForecasterMeta =
            serde_json::from_str(&text).map_err(|e| TrainError::checkpoint(&path, e))?;
        if meta.format != FORMAT {
            return Err(TrainError::checkpoint(
                &path,
                format!("format {} is not {FORMAT}", meta.format),
            ));
        }
        let fc = &meta.config.forecaster;
        let mut vs = VarStore::new(Device::Cpu);
        let k = (TARGETS.len() * meta.horizons.len() * meta.quantiles.len()) as i64;
        let net = ConvQuantileNet::new(&vs.root(), fc, meta.n_features as i64, k);
        checkpoint::load_weights(&mut vs, dir, BEST_WEIGHTS)?;
        Ok(NeuralForecaster {
            dir: dir.to_path_buf(),
            meta,
            inner: Mutex::new((vs, net)),
        })
    }

    pub fn meta(&self) -> &ForecasterMeta {
        &self.meta
    }

    fn run(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<ForecastFrame> {
        let m = &self.meta;
        for h in horizons {
            if !m.horizons.contains(h) {
                return Err(TrainError::Data(format!(
                    "forecaster {} has no horizon {h} (trained: {:?})",
                    self.dir.display(),
                    m.horizons
                )));
            }
        }
        for q in quantiles {
            if !m.quantiles.iter().any(|x| (x - q).abs() < 1e-12) {
                return Err(TrainError::Data(format!(
                    "forecaster {} has no quantile {q} (trained: {:?})",
                    self.dir.display(),
                    m.quantiles
                )));
            }
        }
        let spec = feature_spec(&m.config)?;
        let frame = build_features(bars, interval, &spec, None)?;
        m.feature_schema.ensure_same(&frame.schema)?;
        let norm = m
            .normalisers
            .get(&m.config.symbols[0])
            .ok_or_else(|| TrainError::checkpoint(&self.dir, "has no normaliser"))?;
        let x = norm.transform_row_major_f32(&frame)?;
        let seq = m.config.forecaster.seq_len as usize;
        let n = bars.len();
        let invalid: Vec<bool> = (0..n).map(|t| !frame.row_valid(t)).collect();
        let mut bad_before = vec![0u32; n + 1];
        for t in 0..n {
            bad_before[t + 1] = bad_before[t] + u32::from(invalid[t]);
        }
        let rows: Vec<usize> = (0..n)
            .filter(|&r| r + 1 >= seq && bad_before[r + 1] == bad_before[r + 1 - seq])
            .collect();
        let nq = m.quantiles.len();
        let k = TARGETS.len() * m.horizons.len() * nq;
        let mut out =
            ForecastFrame::empty(&self.name(), &bars.ts, interval.ms(), horizons, quantiles);
        let guard = self
            .inner
            .lock()
            .map_err(|_| TrainError::checkpoint(&self.dir, "model lock poisoned"))?;
        let net = &guard.1;
        let f = frame.n_features();
        tch::no_grad(|| {
            for chunk in rows.chunks(512) {
                let mut xs = Vec::with_capacity(chunk.len() * seq * f);
                for &r in chunk {
                    xs.extend_from_slice(&x[(r + 1 - seq) * f..(r + 1) * f]);
                }
                let xt = Tensor::from_slice(&xs).view([chunk.len() as i64, seq as i64, f as i64]);
                let o = net
                    .forward(&xt)
                    .select(1, seq as i64 - 1)
                    .to_kind(Kind::Double);
                let p: Vec<f64> = Vec::try_from(o.flatten(0, -1)).unwrap_or_default();
                for (ci, &r) in chunk.iter().enumerate() {
                    for (ti, target) in TARGETS.iter().enumerate() {
                        for &h in horizons {
                            let hi = m.horizons.iter().position(|x| *x == h).unwrap_or(0);
                            let g = ti * m.horizons.len() + hi;
                            // Monotone rearrangement: sorted outputs are the quantiles.
                            let mut qs: Vec<f64> =
                                p[ci * k + g * nq..ci * k + (g + 1) * nq].to_vec();
                            qs.sort_by(f64::total_cmp);
                            for &q in quantiles {
                                let qi = m
                                    .quantiles
                                    .iter()
                                    .position(|x| (x - q).abs() < 1e-12)
                                    .unwrap_or(0);
                                if let Some(col) = out.values.get_mut(&column_name(target, q, h)) {
                                    col[r] = bars.close[r] * (qs[qi] * m.scales[g]).exp();
                                }
                            }
                        }
                    }
                }
            }
        });
        Ok(out)
    }
}

impl Forecaster for NeuralForecaster {
    fn name(&self) -> String {
        format!(
            "neural:{}",
            &self.meta.data_hash[..12.min(self.meta.data_hash.len())]
        )
    }

    fn forecast(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> std::result::Result<ForecastFrame, FeatureError> {
        self.run(bars, interval, horizons, quantiles)
            .map_err(|e| match e {
                TrainError::Features(f) => f,
                other => FeatureError::Forecast(other.to_string()),
            })
    }
}
