//! From the bar store to model inputs: causal features, time splits, the normaliser fitted on
//! training rows only, the decode band, training windows and evaluation windows.
//!
//! Splits are by time and shared by all symbols (so no symbol trains on another's test period):
//! test = the last `testDays` before the end of the data, val = the `valDays` before that,
//! train = everything before val minus a purge of `purgeBars` (default seqLen) bars. The bounds
//! are stored in the checkpoint; evaluation reuses them, so bars appended later change nothing.
use crate::config::{BandConfig, TrainConfig};
use crate::error::{Result, TrainError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use tch::{Device, Kind, Tensor};
use tradelab_core::{Bars, Interval, Symbol};
use tradelab_features::forecast::{forecaster_by_name, Forecaster};
use tradelab_features::{build_features, FeatureSchema, FeatureSpec, Normaliser};

pub use tradelab_core::splits::{Split, SplitBounds, DAY_MS};

/// The trainer's split bounds: the one definition (`tradelab_core::splits`), purging `seqLen`
/// bars unless the config says otherwise.
pub fn split_bounds(cfg: &TrainConfig, interval: Interval, first: i64, last: i64) -> SplitBounds {
    SplitBounds::compute(
        &cfg.splits,
        cfg.model.seq_len as usize,
        interval,
        first,
        last,
    )
}

/// How normalisers are obtained: fitted on the training rows, or the saved ones (evaluation,
/// resume, serving — never refitted).
#[derive(Debug)]
pub enum Normalisers<'a> {
    FitOnTrain,
    Saved(&'a BTreeMap<String, Normaliser>),
}

/// One symbol's inputs, row t aligned with bar t.
#[derive(Debug)]
pub struct SymbolData {
    pub symbol: String,
    pub bars: Bars,
    /// Normalised features, row-major [rows × n_features].
    pub x: Vec<f32>,
    /// Decode band (price units) known at the close of bar t; NaN where unknown.
    pub band_lo: Vec<f64>,
    pub band_hi: Vec<f64>,
    /// invalid_before[t] = number of rows < t whose features or band are not valid.
    invalid_before: Vec<u32>,
    pub normaliser: Normaliser,
}

impl SymbolData {
    pub fn rows(&self) -> usize {
        self.bars.len()
    }

    /// True when rows start..start+len all have valid features and band.
    pub fn window_ok(&self, start: usize, len: usize) -> bool {
        start + len <= self.rows() && self.invalid_before[start + len] == self.invalid_before[start]
    }

    /// Rows whose bar opens in `[a, b)`.
    pub fn rows_between(&self, a: i64, b: i64) -> Range<usize> {
        let ts = &self.bars.ts;
        ts.partition_point(|&t| t < a)..ts.partition_point(|&t| t < b)
    }
}

#[derive(Debug)]
pub struct Dataset {
    pub interval: Interval,
    pub symbols: Vec<SymbolData>,
    pub schema: FeatureSchema,
    pub n_features: usize,
    pub bounds: SplitBounds,
    /// SHA-256 (hex) of the symbols, interval and every bar used (up to the end of the test split).
    pub data_hash: String,
}

/// Parses the config's `features` (or the default spec), naming bad fields as `features.<path>`.
pub fn feature_spec(cfg: &TrainConfig) -> Result<FeatureSpec> {
    let spec: FeatureSpec = match &cfg.features {
        None => FeatureSpec::default(),
        Some(v) => serde_path_to_error::deserialize(v.clone()).map_err(|e| {
            TrainError::config(format!("features.{}", e.path()), e.inner().to_string())
        })?,
    };
    spec.validate()?;
    if let Some(f) = &spec.forecast {
        forecaster_by_name(&f.model)
            .map_err(|e| TrainError::config("features.forecast.model", e.to_string()))?;
    }
    Ok(spec)
}

impl Dataset {
    /// Reads every configured symbol from the store. `bounds`: the checkpoint's (evaluation,
    /// resume) or `None` to compute them from the data (training).
    pub fn load(
        cfg: &TrainConfig,
        store: &Path,
        bounds: Option<&SplitBounds>,
        norms: Normalisers,
    ) -> Result<Dataset> {
        Dataset::load_extent(cfg, store, bounds, norms, false)
    }

    /// As `load`; `serving` keeps bars after the test split (appended after training) so a
    /// checkpoint can decide on them. Features are causal, so earlier rows are unchanged.
    pub fn load_extent(
        cfg: &TrainConfig,
        store: &Path,
        bounds: Option<&SplitBounds>,
        norms: Normalisers,
        serving: bool,
    ) -> Result<Dataset> {
        let interval = cfg.interval()?;
        let st = tradelab_data::Store::open(store);
        let mut all = Vec::new();
        for s in &cfg.symbols {
            let sym = Symbol::parse(s).map_err(|e| TrainError::config("symbols", e.to_string()))?;
            let bars = st.read(&sym, interval)?;
            if bars.is_empty() {
                return Err(TrainError::Data(format!(
                    "{} {} in {} has no bars",
                    s,
                    interval,
                    store.display()
                )));
            }
            all.push((s.clone(), bars));
        }
        Dataset::from_bars_extent(cfg, all, bounds, norms, serving)
    }

    /// One symbol a checkpoint never trained on (transfer), with the checkpoint's split bounds:
    /// its normaliser is fitted on its own rows inside the checkpoint's TRAINING window
    /// (`bounds.train_start .. bounds.train_end`), the rule training applies to every trained
    /// symbol, so validation and test rows never shape it; it is fitted once per load from the
    /// same rows, so it does not move when bars are appended. The caller checks the schema.
    pub fn load_transfer(
        cfg: &TrainConfig,
        store: &Path,
        bounds: &SplitBounds,
        symbol: &str,
        serving: bool,
    ) -> Result<Dataset> {
        let sym = Symbol::parse(symbol)
            .map_err(|e| TrainError::Usage(format!("--symbol {symbol}: {e}")))?;
        let interval = cfg.interval()?;
        let load = || -> Result<Dataset> {
            let bars = tradelab_data::Store::open(store).read(&sym, interval)?;
            Dataset::transfer_from_bars(cfg, symbol, bars, bounds, serving)
        };
        // A mistyped symbol is read as a transfer too: say which symbols the checkpoint has.
        load().map_err(|e| match e {
            TrainError::Data(m) => TrainError::Data(format!(
                "{symbol} is not one of the checkpoint's symbols ({}), so it is served as a transfer, but: {m}",
                cfg.symbols.join(", ")
            )),
            other => other,
        })
    }

    /// `load_transfer` on bars already read.
    pub fn transfer_from_bars(
        cfg: &TrainConfig,
        symbol: &str,
        bars: Bars,
        bounds: &SplitBounds,
        serving: bool,
    ) -> Result<Dataset> {
        let in_train = bars.ts.partition_point(|&x| x < bounds.train_end)
            - bars.ts.partition_point(|&x| x < bounds.train_start);
        if in_train <= cfg.model.seq_len as usize {
            return Err(TrainError::Data(format!(
                "{symbol} has {in_train} bars inside the checkpoint's training window {} .. {} ms (needs > seqLen {}): its normaliser is fitted on those rows only",
                bounds.train_start, bounds.train_end, cfg.model.seq_len
            )));
        }
        let mut one = cfg.clone();
        one.symbols = vec![symbol.to_string()];
        Dataset::from_bars_extent(
            &one,
            vec![(symbol.to_string(), bars)],
            Some(bounds),
            Normalisers::FitOnTrain,
            serving,
        )
    }

    pub fn from_bars(
        cfg: &TrainConfig,
        bars: Vec<(String, Bars)>,
        bounds: Option<&SplitBounds>,
        norms: Normalisers,
    ) -> Result<Dataset> {
        Dataset::from_bars_extent(cfg, bars, bounds, norms, false)
    }

    pub fn from_bars_extent(
        cfg: &TrainConfig,
        bars: Vec<(String, Bars)>,
        bounds: Option<&SplitBounds>,
        norms: Normalisers,
        serving: bool,
    ) -> Result<Dataset> {
        let interval = cfg.interval()?;
        let spec = feature_spec(cfg)?;
        let first = bars
            .iter()
            .filter_map(|(_, b)| b.ts.first().copied())
            .min()
            .unwrap_or(0);
        let last = bars
            .iter()
            .filter_map(|(_, b)| b.ts.last().copied())
            .max()
            .unwrap_or(0);
        let bounds = match bounds {
            Some(b) => b.clone(),
            None => split_bounds(cfg, interval, first, last),
        };
        let t = cfg.model.seq_len as usize;
        let mut hasher = Sha256::new();
        hasher.update(interval.name().as_bytes());
        let mut symbols = Vec::new();
        let mut schema = None;
        for (name, mut b) in bars {
            // Bars after the test split (appended after training) are not part of this dataset.
            if !serving {
                let keep = b.ts.partition_point(|&x| x < bounds.test_end);
                truncate(&mut b, keep);
            }
            hash_bars(&mut hasher, &name, &b);
            let fc = match &spec.forecast {
                Some(f) => Some(forecaster_by_name(&f.model)?.forecast(
                    &b,
                    interval,
                    &f.horizons,
                    &f.quantiles,
                )?),
                None => None,
            };
            let frame = build_features(&b, interval, &spec, fc.as_ref())?;
            let (lo, hi) = band(&cfg.decode.band, &b, interval, &bounds)?;
            let normaliser = match &norms {
                Normalisers::Saved(m) => m.get(&name).cloned().ok_or_else(|| {
                    TrainError::Data(format!(
                        "no saved normaliser for {name} (have: {})",
                        m.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                })?,
                Normalisers::FitOnTrain => {
                    let rows = b.ts.partition_point(|&x| x < bounds.train_start)
                        ..b.ts.partition_point(|&x| x < bounds.train_end);
                    if rows.len() < t + 1 {
                        return Err(TrainError::Data(format!(
                            "{name}: the training split has {} bars (needs > seqLen {t}); lower splits.valDays/testDays or add data",
                            rows.len()
                        )));
                    }
                    Normaliser::fit(&frame, rows)?
                }
            };
            let x = normaliser.transform_row_major_f32(&frame)?;
            let mut invalid_before = Vec::with_capacity(b.len() + 1);
            let mut bad = 0u32;
            for r in 0..b.len() {
                invalid_before.push(bad);
                if !(frame.row_valid(r) && lo[r].is_finite() && hi[r].is_finite()) {
                    bad += 1;
                }
            }
            invalid_before.push(bad);
            schema.get_or_insert_with(|| frame.schema.clone());
            symbols.push(SymbolData {
                symbol: name,
                bars: b,
                x,
                band_lo: lo,
                band_hi: hi,
                invalid_before,
                normaliser,
            });
        }
        let schema =
            schema.ok_or_else(|| TrainError::config("symbols", "needs at least one symbol"))?;
        let n_features = schema.names.len();
        let digest = hasher.finalize();
        let data_hash = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Dataset {
            interval,
            symbols,
            schema,
            n_features,
            bounds,
            data_hash,
        })
    }

    /// `data_hash` as a dataset cut at `end` would have it (a serving dataset keeps bars after
    /// the test split; this compares its bars up to the test end with the checkpoint's hash).
    pub fn data_hash_to(&self, end: i64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.interval.name().as_bytes());
        for s in &self.symbols {
            let keep = s.bars.ts.partition_point(|&x| x < end);
            hash_bars(&mut hasher, &s.symbol, &s.bars.slice(0..keep));
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Training windows (symbol index, first row): every `stride`-th start whose T rows lie in
    /// the training split and are all valid.
    pub fn train_windows(&self, seq_len: usize, stride: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (si, s) in self.symbols.iter().enumerate() {
            let r = s.rows_between(self.bounds.train_start, self.bounds.train_end);
            let mut start = r.start;
            while start + seq_len <= r.end {
                if s.window_ok(start, seq_len) {
                    out.push((si, start));
                }
                start += stride;
            }
        }
        out
    }

    /// Checks a split has enough bars to mean something; names the split and config fields.
    pub fn check_split(&self, split: Split, min_bars: usize) -> Result<()> {
        let (a, b) = self.bounds.of(split);
        for s in &self.symbols {
            let n = s.rows_between(a, b).len();
            if n < min_bars {
                return Err(TrainError::Data(format!(
                    "{}: the {} split has {n} bars (needs >= {min_bars}); check splits.valDays/testDays against the data",
                    s.symbol,
                    split.name()
                )));
            }
        }
        Ok(())
    }
}

/// A batch of training windows as tensors. Prices are divided by the close of each window's first
/// bar (the simulator is scale free; f32 keeps its precision near 1).
#[derive(Debug)]
pub struct Batch {
    pub x: Tensor,
    pub symbol: Tensor,
    pub open: Tensor,
    pub high: Tensor,
    pub low: Tensor,
    pub close: Tensor,
    pub band_lo: Tensor,
    pub band_hi: Tensor,
}

pub fn make_batch(ds: &Dataset, items: &[(usize, usize)], seq_len: usize, device: Device) -> Batch {
    let (b, t, f) = (items.len(), seq_len, ds.n_features);
    let mut x = Vec::with_capacity(b * t * f);
    let mut cols: [Vec<f32>; 6] = std::array::from_fn(|_| Vec::with_capacity(b * t));
    let mut sym = Vec::with_capacity(b);
    for &(si, start) in items {
        let s = &ds.symbols[si];
        x.extend_from_slice(&s.x[start * f..(start + t) * f]);
        let scale = s.bars.close[start];
        let srcs: [&[f64]; 6] = [
            &s.bars.open,
            &s.bars.high,
            &s.bars.low,
            &s.bars.close,
            &s.band_lo,
            &s.band_hi,
        ];
        for (dst, src) in cols.iter_mut().zip(srcs) {
            dst.extend(src[start..start + t].iter().map(|v| (v / scale) as f32));
        }
        sym.push(si as i64);
    }
    let bt = |v: &[f32]| {
        Tensor::from_slice(v)
            .view([b as i64, t as i64])
            .to_device(device)
    };
    Batch {
        x: Tensor::from_slice(&x)
            .view([b as i64, t as i64, f as i64])
            .to_device(device),
        symbol: Tensor::from_slice(&sym).to_device(device),
        open: bt(&cols[0]),
        high: bt(&cols[1]),
        low: bt(&cols[2]),
        close: bt(&cols[3]),
        band_lo: bt(&cols[4]),
        band_hi: bt(&cols[5]),
    }
}

/// Feature windows ending at each of `rows` (row r → rows r−T+1..=r), [N, T, F] f32.
pub fn windows_ending_at(
    s: &SymbolData,
    n_features: usize,
    rows: &[usize],
    seq_len: usize,
    device: Device,
) -> Tensor {
    let f = n_features;
    let mut x = Vec::with_capacity(rows.len() * seq_len * f);
    for &r in rows {
        let start = r + 1 - seq_len;
        x.extend_from_slice(&s.x[start * f..(r + 1) * f]);
    }
    Tensor::from_slice(&x)
        .view([rows.len() as i64, seq_len as i64, f as i64])
        .to_device(device)
        .to_kind(Kind::Float)
}

fn truncate(b: &mut Bars, n: usize) {
    b.ts.truncate(n);
    b.open.truncate(n);
    b.high.truncate(n);
    b.low.truncate(n);
    b.close.truncate(n);
    b.volume.truncate(n);
    if let Some(v) = b.trades.as_mut() {
        v.truncate(n);
    }
    if let Some(v) = b.vwap.as_mut() {
        v.truncate(n);
    }
}

fn hash_bars(h: &mut Sha256, name: &str, b: &Bars) {
    h.update((name.len() as u64).to_le_bytes());
    h.update(name.as_bytes());
    h.update((b.len() as u64).to_le_bytes());
    for v in &b.ts {
        h.update(v.to_le_bytes());
    }
    for col in [&b.open, &b.high, &b.low, &b.close, &b.volume] {
        for v in col {
            h.update(v.to_le_bytes());
        }
    }
}

/// The decode band (lo, hi) per row, known at the close of bar t.
/// A neural forecaster checkpoint must have been trained only on bars before this run's
/// validation split (otherwise its forecasts carry validation/test information).
pub fn band(
    cfg: &BandConfig,
    b: &Bars,
    interval: Interval,
    bounds: &SplitBounds,
) -> Result<(Vec<f64>, Vec<f64>)> {
    match cfg {
        BandConfig::Vol { window, k } => Ok(vol_band(b, interval, *window, *k)),
        BandConfig::Forecast {
            model,
            horizon,
            checkpoint,
        } => {
            let f: Box<dyn Forecaster> = match checkpoint {
                Some(dir) => {
                    let f = crate::forecaster::NeuralForecaster::load(Path::new(dir))?;
                    // The forecaster's own validation window chose its epoch, so it must end
                    // before this policy's validation starts too, not only its training rows.
                    let seen_to = f.meta().splits.val_end;
                    if seen_to > bounds.val_start {
                        return Err(TrainError::config(
                            "decode.band.checkpoint",
                            format!(
                                "forecaster {dir} trained and selected its epoch on bars up to {seen_to} ms (its validation end), past this run's validation start {} ms: its forecasts would leak validation/test data",
                                bounds.val_start
                            ),
                        ));
                    }
                    Box::new(f)
                }
                None => forecaster_by_name(model)
                    .map_err(|e| TrainError::config("decode.band.model", e.to_string()))?,
            };
            forecast_band(f.as_ref(), b, interval, *horizon)
        }
    }
}

/// lo/hi = p50 of min(low) / max(high) over bars t+1..=t+h, from the forecast issued at the close
/// of bar t (joined on bar_ts = ts[t]).
pub fn forecast_band(
    f: &dyn Forecaster,
    b: &Bars,
    interval: Interval,
    h: u32,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let frame = f.forecast(b, interval, &[h], &[0.5])?;
    if frame.bar_ts != b.ts {
        return Err(TrainError::Data(format!(
            "forecaster {} returned rows that do not align with the bars",
            f.name()
        )));
    }
    let col = |target: &str| {
        frame
            .get(target, 0.5, h)
            .map(<[f64]>::to_vec)
            .ok_or_else(|| {
                TrainError::Data(format!(
                    "forecaster {} gave no {target} p50 at horizon {h}",
                    f.name()
                ))
            })
    };
    Ok((col("low")?, col("high")?))
}

/// close × (1 ∓ k·σ_t), σ_t = std of the last `w` one-bar log returns ending at bar t; NaN while
/// warming up or when those bars are not consecutive (a gap).
pub fn vol_band(b: &Bars, interval: Interval, w: usize, k: f64) -> (Vec<f64>, Vec<f64>) {
    let n = b.len();
    let mut lo = vec![f64::NAN; n];
    let mut hi = vec![f64::NAN; n];
    let step = interval.ms();
    let r: Vec<f64> = (0..n)
        .map(|t| {
            if t == 0 {
                f64::NAN
            } else {
                (b.close[t] / b.close[t - 1]).ln()
            }
        })
        .collect();
    for t in w..n {
        if b.ts[t] - b.ts[t - w] != w as i64 * step {
            continue;
        }
        let xs = &r[t + 1 - w..=t];
        let m = xs.iter().sum::<f64>() / w as f64;
        let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (w as f64 - 1.0);
        let sd = var.sqrt();
        if sd.is_finite() {
            lo[t] = b.close[t] * (1.0 - k * sd);
            hi[t] = b.close[t] * (1.0 + k * sd);
        }
    }
    (lo, hi)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sol_bars() -> Bars {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/store");
        tradelab_data::Store::open(root)
            .read(&Symbol::parse("SOL/USDT").unwrap(), Interval::H1)
            .expect("bundled sample store data/store has SOL/USDT 1h")
    }

    #[test]
    fn splits_are_ordered_and_purged() {
        let cfg = TrainConfig::from_json(
            r#"{"symbols":["SOL/USDT"],"splits":{"valDays":10,"testDays":5}}"#,
        )
        .unwrap();
        let ds = Dataset::from_bars(
            &cfg,
            vec![("SOL/USDT".into(), sol_bars())],
            None,
            Normalisers::FitOnTrain,
        )
        .unwrap();
        let b = &ds.bounds;
        assert_eq!(b.test_end - b.test_start, 5 * DAY_MS);
        assert_eq!(b.val_end - b.val_start, 10 * DAY_MS);
        assert_eq!(b.val_start - b.train_end, 72 * 3_600_000);
        let s = &ds.symbols[0];
        // The normaliser saw only training rows.
        assert!(s.normaliser.fitted_rows.1 < b.train_end);
        let w = ds.train_windows(72, 1);
        assert!(w.len() > 1000);
        for &(si, start) in &w {
            assert!(ds.symbols[si].bars.ts[start + 71] < b.train_end);
        }
        assert_eq!(ds.data_hash.len(), 64);
    }

    #[test]
    fn forecast_band_is_the_p50_low_high_issued_at_t() {
        let b = sol_bars();
        let f = forecaster_by_name("ewma-vol").unwrap();
        let (lo, hi) = forecast_band(f.as_ref(), &b, Interval::H1, 1).unwrap();
        let valid = (0..b.len())
            .filter(|&t| lo[t].is_finite() && hi[t].is_finite())
            .count();
        assert!(valid > b.len() / 2);
        // Causal: the band at t does not move when later bars change.
        let mut c = b.clone();
        for i in 3001..c.len() {
            c.high[i] *= 1.2;
            c.close[i] *= 1.1;
            c.open[i] *= 1.1;
        }
        let (lo2, hi2) = forecast_band(f.as_ref(), &c, Interval::H1, 1).unwrap();
        for t in 0..=3000 {
            assert_eq!(lo[t].to_bits(), lo2[t].to_bits());
            assert_eq!(hi[t].to_bits(), hi2[t].to_bits());
        }
    }

    #[test]
    fn vol_band_brackets_close() {
        let b = sol_bars();
        let (lo, hi) = vol_band(&b, Interval::H1, 24, 1.5);
        assert!(lo[10].is_nan());
        for t in 30..200 {
            assert!(lo[t] < b.close[t] && hi[t] > b.close[t]);
        }
    }
}
