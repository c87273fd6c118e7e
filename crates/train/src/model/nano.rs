//! "nano" policy (seed §4.3, nanochat / modded-nanoGPT style), strictly causal:
//! bias-free Linear embed + RMSNorm; blocks of grouped-query attention (RoPE, then QK RMSNorm,
//! causal sliding-window mask) and a ReLU² MLP, each followed by residual scalars
//! x ← α·x + β·x0; value embeddings every `valueEmbedEvery` layers; final RMSNorm; bias-free head
//! with a logit soft-cap. Head, attention out-projections and MLP down-projections start at 0, so
//! the first decode is the band midpoint with fractions 0.5.
use super::layers::{
    apply_rope, causal_window_mask, masked_attention, rms_norm, rope_tables, Linear,
};
use super::SymbolInput;
use crate::config::ModelConfig;
use tch::nn::{Init, Path};
use tch::Tensor;

#[derive(Debug)]
struct Block {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    fc: Linear,
    proj: Linear,
    /// [max_len, d], zero-initialised, added to the attention input before the V projection.
    value_embed: Option<Tensor>,
    /// [α_attn, β_attn, α_mlp, β_mlp]
    resid: Tensor,
}

#[derive(Debug)]
pub struct Nano {
    cfg: ModelConfig,
    embed: Linear,
    symbol_embed: Option<Tensor>,
    blocks: Vec<Block>,
    head: Linear,
}

impl Nano {
    pub fn new(p: &Path, cfg: &ModelConfig, n_features: i64, n_symbols: i64, n_out: i64) -> Nano {
        let d = cfg.d_model;
        let hd = d / cfg.heads;
        let kvd = hd * cfg.kv_heads;
        let hidden = d * cfg.mlp_mult;
        let embed = Linear::new(p, "embed", n_features, d, false, false);
        let symbol_embed = super::layers::symbol_embedding(p, n_symbols, d);
        let blocks = (0..cfg.layers)
            .map(|i| {
                let b = p / "blocks" / i;
                let has_ve = cfg.value_embed_every > 0 && i % cfg.value_embed_every == 0;
                let resid = b.var_copy(
                    "resid",
                    &Tensor::from_slice(&[
                        cfg.residual_init,
                        cfg.skip_init,
                        cfg.residual_init,
                        cfg.skip_init,
                    ])
                    .to_kind(tch::Kind::Float),
                );
                Block {
                    q: Linear::new(&b, "attn_q", d, d, false, false),
                    k: Linear::new(&b, "attn_k", d, kvd, false, false),
                    v: Linear::new(&b, "attn_v", d, kvd, false, false),
                    o: Linear::new(&b, "attn_o", d, d, false, true),
                    fc: Linear::new(&b, "mlp_fc", d, hidden, false, false),
                    proj: Linear::new(&b, "mlp_proj", hidden, d, false, true),
                    value_embed: has_ve
                        .then(|| b.var("value_embed", &[cfg.seq_len, d], Init::Const(0.0))),
                    resid,
                }
            })
            .collect();
        let head = Linear::new(p, "head", d, n_out, false, true);
        Nano {
            cfg: cfg.clone(),
            embed,
            symbol_embed,
            blocks,
            head,
        }
    }

    /// x: [B, T, F] → logits [B, T, K]. `symbol`: the embedding term (global variant).
    pub fn forward(&self, x: &Tensor, symbol: SymbolInput<'_>, train: bool) -> Tensor {
        let c = &self.cfg;
        let size = x.size();
        let (b, t) = (size[0], size[1]);
        assert!(
            t <= c.seq_len,
            "window of {t} bars is longer than model.seqLen {}",
            c.seq_len
        );
        let dev = x.device();
        let (h, kvh) = (c.heads, c.kv_heads);
        let hd = c.d_model / h;
        let mut x = self.embed.forward(x);
        if let Some(term) = symbol.term(self.symbol_embed.as_ref()) {
            x += term;
        }
        let x0 = rms_norm(&x);
        let mut x = x0.shallow_clone();
        let allowed = causal_window_mask(t, c.window, dev);
        let (cos, sin) = rope_tables(t, hd, c.rope_base, dev);
        for blk in &self.blocks {
            let r = &blk.resid;
            // --- attention ---
            let a_in = rms_norm(&x);
            let q = blk.q.forward(&a_in).view([b, t, h, hd]).transpose(1, 2);
            let k = blk.k.forward(&a_in).view([b, t, kvh, hd]).transpose(1, 2);
            let v_in = match &blk.value_embed {
                Some(ve) => &a_in + ve.narrow(0, 0, t).unsqueeze(0),
                None => a_in.shallow_clone(),
            };
            let v = blk.v.forward(&v_in).view([b, t, kvh, hd]).transpose(1, 2);
            let q = rms_norm(&apply_rope(&q, &cos, &sin));
            let k = rms_norm(&apply_rope(&k, &cos, &sin));
            let rep = h / kvh;
            let (k, v) = if rep > 1 {
                (
                    k.repeat_interleave_self_int(rep, 1, None),
                    v.repeat_interleave_self_int(rep, 1, None),
                )
            } else {
                (k, v)
            };
            let y = masked_attention(&q, &k, &v, Some(&allowed), c.dropout, train);
            let y = y.transpose(1, 2).contiguous().view([b, t, c.d_model]);
            let y = blk.o.forward(&y).dropout(c.dropout, train);
            x = (x + y) * r.get(0) + &x0 * r.get(1);
            // --- MLP ---
            let m = blk.fc.forward(&rms_norm(&x)).relu().square();
            let m = blk.proj.forward(&m).dropout(c.dropout, train);
            x = (x + m) * r.get(2) + &x0 * r.get(3);
        }
        let logits = self.head.forward(&rms_norm(&x));
        if c.softcap > 0.0 {
            (logits / c.softcap).tanh() * c.softcap
        } else {
            logits
        }
    }
}
