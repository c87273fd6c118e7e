//! "ftTransformer" policy (seed 002's FT-Transformer, Gorishniy et al. 2021) made causal over
//! time. Per bar, a feature tokenizer turns each of the F normalised features into its own
//! d-dim token (x_j·W_j + b_j) and a learned [CLS] token joins them; `layers` encoder blocks
//! attend across those F + 1 tokens (no mask: they are one bar's features). The [CLS] outputs,
//! one per bar, then get sinusoidal positions and the symbol embedding, and `timeLayers` blocks
//! attend across bars with a CAUSAL mask, so position t sees bars 0..=t only. Final LayerNorm
//! and a zero head, as for the other architectures.
use super::layers::{
    causal_window_mask, sinusoidal_positions, symbol_embedding, BlockOptions, EncoderBlock,
    LayerNorm, Linear,
};
use super::SymbolInput;
use crate::config::ModelConfig;
use tch::nn::{Init, Path};
use tch::Tensor;

#[derive(Debug)]
pub struct FtTransformer {
    cfg: ModelConfig,
    /// Tokenizer weight and bias [F, d]; "embed" in the names keeps them on AdamW.
    token_w: Tensor,
    token_b: Tensor,
    cls: Tensor,
    feature_blocks: Vec<EncoderBlock>,
    ln_cls: LayerNorm,
    symbol_embed: Option<Tensor>,
    time_blocks: Vec<EncoderBlock>,
    ln_f: LayerNorm,
    head: Linear,
}

impl FtTransformer {
    pub fn new(
        p: &Path,
        cfg: &ModelConfig,
        n_features: i64,
        n_symbols: i64,
        n_out: i64,
    ) -> FtTransformer {
        let d = cfg.d_model;
        let hidden = d * cfg.mlp_mult;
        let token_init = Init::Randn {
            mean: 0.0,
            stdev: 1.0 / (d as f64).sqrt(),
        };
        let blocks = |name: &str, n: i64| -> Vec<EncoderBlock> {
            (0..n)
                .map(|i| EncoderBlock::new(&(p / name / i), d, hidden))
                .collect()
        };
        FtTransformer {
            cfg: cfg.clone(),
            token_w: p.var("feature_embed_weight", &[n_features, d], token_init),
            token_b: p.var("feature_embed_bias", &[n_features, d], Init::Const(0.0)),
            cls: p.var("cls_embed", &[d], token_init),
            feature_blocks: blocks("feature_blocks", cfg.layers),
            ln_cls: LayerNorm::new(p, "ln_cls", d),
            symbol_embed: symbol_embedding(p, n_symbols, d),
            time_blocks: blocks("time_blocks", cfg.time_layers),
            ln_f: LayerNorm::new(p, "ln_f", d),
            head: Linear::new(p, "head", d, n_out, true, true),
        }
    }

    pub fn forward(&self, x: &Tensor, symbol: SymbolInput<'_>, train: bool) -> Tensor {
        let c = &self.cfg;
        let size = x.size();
        let (b, t, f) = (size[0], size[1], size[2]);
        let d = c.d_model;
        let dev = x.device();
        let o = BlockOptions {
            heads: c.heads,
            pre_norm: c.pre_norm,
            dropout: c.dropout,
            train,
        };
        // [B, T, F, 1] · [F, d] + [F, d] → one token per feature per bar.
        let tokens = x.unsqueeze(-1) * &self.token_w + &self.token_b;
        let cls = self.cls.view([1, 1, 1, d]).expand([b, t, 1, d], false);
        let mut z = Tensor::cat(&[cls, tokens], 2)
            .view([b * t, f + 1, d])
            .dropout(c.dropout, train);
        for blk in &self.feature_blocks {
            z = blk.forward(&z, None, o);
        }
        let mut h = self.ln_cls.forward(&z.select(1, 0)).view([b, t, d])
            + sinusoidal_positions(t, d, dev).unsqueeze(0);
        if let Some(term) = symbol.term(self.symbol_embed.as_ref()) {
            h += term;
        }
        let allowed = causal_window_mask(t, t, dev);
        for blk in &self.time_blocks {
            h = blk.forward(&h, Some(&allowed), o);
        }
        self.head.forward(&self.ln_f.forward(&h))
    }
}
