//! Causal policy networks (nano, classic, ftTransformer): [B, T, F] normalised features (+ symbol ids) → [B, T, 4] logits
//! (buy-price, sell-price, buy-fraction, sell-fraction; decoded by [`crate::decode`]).
pub mod classic;
pub mod ft_transformer;
pub mod layers;
pub mod nano;

use crate::config::{Arch, ModelConfig};
use tch::nn::Path;
use tch::Tensor;

/// The four policy heads.
pub const N_OUTPUTS: i64 = 4;

/// The symbol embedding a forward pass adds (global policies only; a one-symbol policy has none).
#[derive(Clone, Copy, Debug)]
pub enum SymbolInput<'a> {
    /// No embedding term.
    None,
    /// [B] int64 ids of the trained symbols.
    Ids(&'a Tensor),
    /// The mean of the trained symbols' embeddings, for every window: a symbol the policy never
    /// trained on (transfer) has no embedding of its own.
    Mean,
}

impl SymbolInput<'_> {
    /// The term added to the embedded input [B, T, d] (None when there is nothing to add).
    pub(crate) fn term(self, embed: Option<&Tensor>) -> Option<Tensor> {
        let e = embed?;
        match self {
            SymbolInput::None => None,
            SymbolInput::Ids(s) => Some(e.index_select(0, s).unsqueeze(1)),
            SymbolInput::Mean => Some(
                e.mean_dim([0i64].as_slice(), true, None::<tch::Kind>)
                    .unsqueeze(0),
            ),
        }
    }
}

#[derive(Debug)]
pub enum Policy {
    Nano(nano::Nano),
    Classic(classic::Classic),
    FtTransformer(ft_transformer::FtTransformer),
}

impl Policy {
    pub fn new(p: &Path, cfg: &ModelConfig, n_features: i64, n_symbols: i64) -> Policy {
        match cfg.arch {
            Arch::Nano => Policy::Nano(nano::Nano::new(p, cfg, n_features, n_symbols, N_OUTPUTS)),
            Arch::Classic => Policy::Classic(classic::Classic::new(
                p, cfg, n_features, n_symbols, N_OUTPUTS,
            )),
            Arch::FtTransformer => Policy::FtTransformer(ft_transformer::FtTransformer::new(
                p, cfg, n_features, n_symbols, N_OUTPUTS,
            )),
        }
    }

    /// Logits for every position; position t depends only on rows 0..=t of the window.
    pub fn forward(&self, x: &Tensor, symbol: Option<&Tensor>, train: bool) -> Tensor {
        self.forward_with(x, symbol.map_or(SymbolInput::None, SymbolInput::Ids), train)
    }

    /// As `forward`, with the symbol embedding spelled out (`SymbolInput::Mean` for transfer).
    pub fn forward_with(&self, x: &Tensor, symbol: SymbolInput<'_>, train: bool) -> Tensor {
        match self {
            Policy::Nano(m) => m.forward(x, symbol, train),
            Policy::Classic(m) => m.forward(x, symbol, train),
            Policy::FtTransformer(m) => m.forward(x, symbol, train),
        }
    }
}

/// Number of scalar parameters in a var store.
pub fn param_count(vs: &tch::nn::VarStore) -> i64 {
    vs.trainable_variables()
        .iter()
        .map(|t| t.numel() as i64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::VarStore, Device, Kind};

    fn cfg(arch: Arch) -> ModelConfig {
        ModelConfig {
            arch,
            d_model: 16,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            window: 8,
            seq_len: 12,
            ..Default::default()
        }
    }

    /// Changing rows after t must not change outputs at positions <= t (both archs, with a
    /// sliding window and a symbol embedding; ftTransformer mixes features within a bar only). Non-zero head so the check is not vacuous.
    #[test]
    fn outputs_are_causal() {
        for arch in [Arch::Nano, Arch::Classic, Arch::FtTransformer] {
            tch::manual_seed(1);
            let vs = VarStore::new(Device::Cpu);
            let m = Policy::new(&vs.root(), &cfg(arch), 5, 3);
            tch::no_grad(|| {
                for (name, mut v) in vs.variables() {
                    if name.ends_with("head.weight")
                        || name.contains("attn_o")
                        || name.contains("mlp_proj")
                    {
                        let _ = v.normal_(0.0, 0.3);
                    }
                }
            });
            let x = Tensor::randn([2, 12, 5], (Kind::Float, Device::Cpu));
            let sym = Tensor::from_slice(&[0i64, 2]);
            let y = m.forward(&x, Some(&sym), false);
            let x2 = x.copy();
            let _ = x2.narrow(1, 7, 5).fill_(100.0);
            let y2 = m.forward(&x2, Some(&sym), false);
            let diff_past =
                f64::try_from((y.narrow(1, 0, 7) - y2.narrow(1, 0, 7)).abs().max()).unwrap();
            let diff_future =
                f64::try_from((y.narrow(1, 7, 5) - y2.narrow(1, 7, 5)).abs().max()).unwrap();
            assert_eq!(diff_past, 0.0, "{arch:?} leaks the future");
            assert!(diff_future > 1e-6, "{arch:?} ignores its input");
        }
    }

    #[test]
    fn zero_head_starts_neutral() {
        let vs = VarStore::new(Device::Cpu);
        let m = Policy::new(&vs.root(), &cfg(Arch::Nano), 5, 1);
        let y = m.forward(
            &Tensor::randn([1, 12, 5], (Kind::Float, Device::Cpu)),
            None,
            false,
        );
        assert_eq!(f64::try_from(y.abs().max()).unwrap(), 0.0);
        assert!(param_count(&vs) > 0);
    }
}
