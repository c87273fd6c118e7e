//! "classic" policy (seed §4.2) made causal: Linear embed (with bias) + fixed sinusoidal
//! positions, transformer encoder blocks (multi-head attention with a CAUSAL mask, GELU FFN,
//! pre- or post-LayerNorm), final LayerNorm and a linear head. The seed's version had no mask,
//! so position t trained on t+1.. (§12.3); here every position sees only its past.
use super::layers::{
    causal_window_mask, sinusoidal_positions, symbol_embedding, BlockOptions, EncoderBlock,
    LayerNorm, Linear,
};
use super::SymbolInput;
use crate::config::ModelConfig;
use tch::nn::Path;
use tch::Tensor;

#[derive(Debug)]
pub struct Classic {
    cfg: ModelConfig,
    embed: Linear,
    symbol_embed: Option<Tensor>,
    blocks: Vec<EncoderBlock>,
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
        Classic {
            cfg: cfg.clone(),
            embed: Linear::new(p, "embed", n_features, d, true, false),
            symbol_embed: symbol_embedding(p, n_symbols, d),
            blocks: (0..cfg.layers)
                .map(|i| EncoderBlock::new(&(p / "blocks" / i), d, d * cfg.mlp_mult))
                .collect(),
            ln_f: LayerNorm::new(p, "ln_f", d),
            // Zero head: the first decode is the band midpoint with fractions 0.5, as for nano.
            head: Linear::new(p, "head", d, n_out, true, true),
        }
    }

    pub fn forward(&self, x: &Tensor, symbol: SymbolInput<'_>, train: bool) -> Tensor {
        let c = &self.cfg;
        let t = x.size()[1];
        let dev = x.device();
        let mut x = self.embed.forward(x) + sinusoidal_positions(t, c.d_model, dev).unsqueeze(0);
        if let Some(term) = symbol.term(self.symbol_embed.as_ref()) {
            x += term;
        }
        let mut x = x.dropout(c.dropout, train);
        // Full causal attention (window = T).
        let allowed = causal_window_mask(t, t, dev);
        let o = BlockOptions {
            heads: c.heads,
            pre_norm: c.pre_norm,
            dropout: c.dropout,
            train,
        };
        for blk in &self.blocks {
            x = blk.forward(&x, Some(&allowed), o);
        }
        self.head.forward(&self.ln_f.forward(&x))
    }
}
