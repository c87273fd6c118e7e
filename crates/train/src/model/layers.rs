//! Small building blocks shared by the architectures. Weights are stored PyTorch-style
//! (`[out, in]`) so checkpoints read the same in the PyTorch peer.
use tch::nn::{Init, Path};
use tch::{Kind, Tensor};

/// A linear layer; `bias` optional.
#[derive(Debug)]
pub struct Linear {
    pub ws: Tensor,
    pub bs: Option<Tensor>,
}

impl Linear {
    /// nanochat init: normal(0, (1/√fan_in)·min(1, √(fan_out/fan_in))); `zero` starts at exactly 0.
    pub fn new(p: &Path, name: &str, fan_in: i64, fan_out: i64, bias: bool, zero: bool) -> Linear {
        let p = p / name;
        let std = (1.0 / (fan_in as f64).sqrt()) * (fan_out as f64 / fan_in as f64).sqrt().min(1.0);
        let init = if zero {
            Init::Const(0.0)
        } else {
            Init::Randn {
                mean: 0.0,
                stdev: std,
            }
        };
        let ws = p.var("weight", &[fan_out, fan_in], init);
        let bs = bias.then(|| p.var("bias", &[fan_out], Init::Const(0.0)));
        Linear { ws, bs }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.matmul(&self.ws.tr());
        match &self.bs {
            Some(b) => y + b,
            None => y,
        }
    }
}

/// Unweighted RMSNorm over the last dimension (T5 style, eps 1e-5).
pub fn rms_norm(x: &Tensor) -> Tensor {
    let ms = x.square().mean_dim(-1, true, Kind::Float);
    x * (ms + 1e-5).rsqrt()
}

/// Allowed-attention mask [T, T]: query i sees key j iff j <= i and i − j < window.
pub fn causal_window_mask(t: i64, window: i64, device: tch::Device) -> Tensor {
    let idx = Tensor::arange(t, (Kind::Int64, device));
    let i = idx.unsqueeze(1);
    let j = idx.unsqueeze(0);
    let causal = j.le_tensor(&i);
    let near = (&i - &j).lt(window);
    causal.logical_and(&near)
}

/// Scaled dot-product attention with an optional boolean mask (true = attend; None = every
/// query sees every key). q: [B, H, T, hd], k/v: [B, H, T, hd].
pub fn masked_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    allowed: Option<&Tensor>,
    dropout: f64,
    train: bool,
) -> Tensor {
    let hd = q.size()[3] as f64;
    let scores = q.matmul(&k.transpose(-2, -1)) / hd.sqrt();
    let scores = match allowed {
        Some(m) => scores.masked_fill(&m.logical_not(), f64::NEG_INFINITY),
        None => scores,
    };
    let w = scores.softmax(-1, Kind::Float).dropout(dropout, train);
    w.matmul(v)
}

/// The learned per-symbol embedding [n_symbols, d] of a global policy (None for one symbol).
pub fn symbol_embedding(p: &Path, n_symbols: i64, d: i64) -> Option<Tensor> {
    (n_symbols > 1).then(|| {
        p.var(
            "embed_symbol",
            &[n_symbols, d],
            Init::Randn {
                mean: 0.0,
                stdev: 0.02,
            },
        )
    })
}

/// LayerNorm with a learned weight and bias (PyTorch's names).
#[derive(Debug)]
pub struct LayerNorm {
    w: Tensor,
    b: Tensor,
}

impl LayerNorm {
    pub fn new(p: &Path, name: &str, d: i64) -> LayerNorm {
        let p = p / name;
        LayerNorm {
            w: p.var("weight", &[d], Init::Const(1.0)),
            b: p.var("bias", &[d], Init::Const(0.0)),
        }
    }
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let d = self.w.size()[0];
        x.layer_norm([d], Some(&self.w), Some(&self.b), 1e-5, false)
    }
}

/// How an [`EncoderBlock`] runs: heads, norm placement, dropout.
#[derive(Clone, Copy, Debug)]
pub struct BlockOptions {
    pub heads: i64,
    pub pre_norm: bool,
    pub dropout: f64,
    pub train: bool,
}

/// A transformer encoder block over [N, L, d]: multi-head attention and a GELU FFN, each with a
/// residual, pre- or post-LayerNorm (classic's blocks over time, ftTransformer's over features).
#[derive(Debug)]
pub struct EncoderBlock {
    qkv: Linear,
    out: Linear,
    ln1: LayerNorm,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

impl EncoderBlock {
    pub fn new(p: &Path, d: i64, hidden: i64) -> EncoderBlock {
        EncoderBlock {
            qkv: Linear::new(p, "attn_qkv", d, 3 * d, true, false),
            out: Linear::new(p, "attn_out", d, d, true, false),
            ln1: LayerNorm::new(p, "ln1", d),
            ln2: LayerNorm::new(p, "ln2", d),
            ff1: Linear::new(p, "ff1", d, hidden, true, false),
            ff2: Linear::new(p, "ff2", hidden, d, true, false),
        }
    }

    /// `allowed` [L, L]: which tokens each token attends to (None = all).
    pub fn forward(&self, x: &Tensor, allowed: Option<&Tensor>, o: BlockOptions) -> Tensor {
        let size = x.size();
        let (n, l, d) = (size[0], size[1], size[2]);
        let (h, hd) = (o.heads, d / o.heads);
        let attn = |inp: &Tensor| {
            let qkv = self
                .qkv
                .forward(inp)
                .view([n, l, 3, h, hd])
                .permute([2, 0, 3, 1, 4]);
            let y = masked_attention(
                &qkv.get(0),
                &qkv.get(1),
                &qkv.get(2),
                allowed,
                o.dropout,
                o.train,
            );
            let y = y.transpose(1, 2).contiguous().view([n, l, d]);
            self.out.forward(&y).dropout(o.dropout, o.train)
        };
        let ff = |inp: &Tensor| {
            self.ff2
                .forward(&self.ff1.forward(inp).gelu("none"))
                .dropout(o.dropout, o.train)
        };
        if o.pre_norm {
            let x = x + attn(&self.ln1.forward(x));
            &x + ff(&self.ln2.forward(&x))
        } else {
            let x = self.ln1.forward(&(x + attn(x)));
            self.ln2.forward(&(&x + ff(&x)))
        }
    }
}

/// Rotary embedding tables (cos, sin), each [T, hd/2].
pub fn rope_tables(t: i64, head_dim: i64, base: f64, device: tch::Device) -> (Tensor, Tensor) {
    let half = head_dim / 2;
    let inv =
        (Tensor::arange(half, (Kind::Float, device)) * (-2.0 * base.ln() / head_dim as f64)).exp();
    let pos = Tensor::arange(t, (Kind::Float, device));
    let ang = pos.unsqueeze(1) * inv.unsqueeze(0);
    (ang.cos(), ang.sin())
}

/// Applies RoPE to x [B, H, T, hd] (halves rotated as in modded-nanoGPT).
pub fn apply_rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Tensor {
    let half = x.size()[3] / 2;
    let x1 = x.narrow(3, 0, half);
    let x2 = x.narrow(3, half, half);
    let y1 = &x1 * cos + &x2 * sin;
    let y2 = -(&x1 * sin) + &x2 * cos;
    Tensor::cat(&[y1, y2], 3)
}

/// Fixed sinusoidal positions [T, d] (Vaswani et al.).
pub fn sinusoidal_positions(t: i64, d: i64, device: tch::Device) -> Tensor {
    let pos = Tensor::arange(t, (Kind::Float, device)).unsqueeze(1);
    let half = (d + 1) / 2;
    let div =
        (Tensor::arange(half, (Kind::Float, device)) * (-2.0 * 10_000f64.ln() / d as f64)).exp();
    let ang = pos * div.unsqueeze(0); // [T, half]
                                      // Interleave sin/cos: [T, half, 2] -> [T, 2*half] -> first d columns.
    Tensor::stack(&[ang.sin(), ang.cos()], 2)
        .view([t, 2 * half])
        .narrow(1, 0, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_is_causal_and_windowed() {
        let m = causal_window_mask(5, 2, tch::Device::Cpu);
        let v: Vec<bool> = Vec::try_from(m.flatten(0, -1)).unwrap();
        // row 3: sees 2 and 3 only
        assert_eq!(&v[15..20], &[false, false, true, true, false]);
        assert_eq!(&v[0..5], &[true, false, false, false, false]);
    }

    #[test]
    fn rms_norm_has_unit_rms() {
        let x = Tensor::from_slice(&[3.0f32, 4.0, 0.0, 0.0]).view([1, 4]);
        let y = rms_norm(&x);
        let ms = f64::try_from(y.square().mean(Kind::Float)).unwrap();
        assert!((ms - 1.0).abs() < 1e-4);
    }
}
