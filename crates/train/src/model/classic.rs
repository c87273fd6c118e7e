//! "classic" policy (seed §4.2) made causal: Linear embed (with bias) + fixed sinusoidal
//! positions, transformer encoder blocks (multi-head attention with a CAUSAL mask, GELU FFN,
//! pre- or post-LayerNorm), final LayerNorm and a linear head. The seed's version had no mask,
//! so position t trained on t+1.. (§12.3); here every position sees only its past.
use super::layers::{causal_window_mask, masked_attention, sinusoidal_positions, Linear};
use super::SymbolInput;
use crate::config::ModelConfig;
use tch::nn::{Init, Path};
use tch::Tensor;

#[derive(Debug)]
struct LayerNorm {
    w: Tensor,
    b: Tensor,
}

impl LayerNorm {
    fn new(p: &Path, name: &str, d: i64) -> LayerNorm {
        let p = p / name;
        LayerNorm {
            w: p.var("weight", &[d], Init::Const(1.0)),
            b: p.var("bias", &[d], Init::Const(0.0)),
        }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let d = self.w.size()[0];
        x.layer_norm([d], Some(&self.w), Some(&self.b), 1e-5, false)
    }
}

#[derive(Debug)]
struct Block {
    qkv: Linear,
    out: Linear,
    ln1: LayerNorm,
    ln2: LayerNorm,
    ff1: Linear,
    ff2: Linear,
}

#[derive(Debug)]
pub struct Classic {
    cfg: ModelConfig,
    embed: Linear,
    symbol_embed: Option<Tensor>,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    head: Linear,
}

impl Classic {
    pub fn new(
        p: &Path,
        cfg: &ModelConfig,
        n_features: i64,
        n_symbols: i64,
        n_out: i64,
    ) -> Classic {
        let d = cfg.d_model;
        let hidden = d * cfg.mlp_mult;
        let blocks = (0..cfg.layers)
            .map(|i| {
                let b = p / "blocks" / i;
                Block {
                    qkv: Linear::new(&b, "attn_qkv", d, 3 * d, true, false),
                    out: Linear::new(&b, "attn_out", d, d, true, false),
                    ln1: LayerNorm::new(&b, "ln1", d),
                    ln2: LayerNorm::new(&b, "ln2", d),
                    ff1: Linear::new(&b, "ff1", d, hidden, true, false),
                    ff2: Linear::new(&b, "ff2", hidden, d, true, false),
                }
            })
            .collect();
        Classic {
            cfg: cfg.clone(),
            embed: Linear::new(p, "embed", n_features, d, true, false),
            symbol_embed: (n_symbols > 1).then(|| {
                p.var(
                    "embed_symbol",
                    &[n_symbols, d],
                    Init::Randn {
                        mean: 0.0,
                        stdev: 0.02,
                    },
                )
            }),
            blocks,
            ln_f: LayerNorm::new(p, "ln_f", d),
            // Zero head: the first decode is the band midpoint with fractions 0.5, as for nano.
            head: Linear::new(p, "head", d, n_out, true, true),
        }
    }

    pub fn forward(&self, x: &Tensor, symbol: SymbolInput<'_>, train: bool) -> Tensor {
        let c = &self.cfg;
        let size = x.size();
        let (b, t) = (size[0], size[1]);
        let (d, h) = (c.d_model, c.heads);
        let hd = d / h;
        let dev = x.device();
        let mut x = self.embed.forward(x) + sinusoidal_positions(t, d, dev).unsqueeze(0);
        if let Some(term) = symbol.term(self.symbol_embed.as_ref()) {
            x += term;
        }
        let mut x = x.dropout(c.dropout, train);
        // Full causal attention (window = T).
        let allowed = causal_window_mask(t, t, dev);
        for blk in &self.blocks {
            let attn = |inp: &Tensor| {
                let qkv = blk
                    .qkv
                    .forward(inp)
                    .view([b, t, 3, h, hd])
                    .permute([2, 0, 3, 1, 4]);
                let y = masked_attention(
                    &qkv.get(0),
                    &qkv.get(1),
                    &qkv.get(2),
                    &allowed,
                    c.dropout,
                    train,
                );
                let y = y.transpose(1, 2).contiguous().view([b, t, d]);
                blk.out.forward(&y).dropout(c.dropout, train)
            };
            let ff = |inp: &Tensor| {
                blk.ff2
                    .forward(&blk.ff1.forward(inp).gelu("none"))
                    .dropout(c.dropout, train)
            };
            if c.pre_norm {
                x = &x + attn(&blk.ln1.forward(&x));
                x = &x + ff(&blk.ln2.forward(&x));
            } else {
                x = blk.ln1.forward(&(&x + attn(&x)));
                x = blk.ln2.forward(&(&x + ff(&x)));
            }
        }
        self.head.forward(&self.ln_f.forward(&x))
    }
}
