//! Optimisers: AdamW, and "muon_mix" (seed §4.4) — Muon (Nesterov momentum orthogonalised by 5
//! Newton–Schulz iterations, modded-nanoGPT's quintic) for 2-D hidden weights, AdamW for the rest
//! (embeddings, head, norms, scalars, value embeddings). Plus the LR and temperature schedules.
//! Parameters are kept in name order so runs repeat exactly. Optimiser state is not saved in
//! checkpoints: `--resume` restarts the moments from zero (documented in the README).
use crate::config::{LrSchedule, OptimConfig, OptimKind};
use tch::{nn::VarStore, Kind, Tensor};

/// modded-nanoGPT's quintic Newton–Schulz coefficients.
const NS_COEFFS: (f64, f64, f64) = (3.4445, -4.7750, 2.0315);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    Muon,
    AdamW,
}

#[derive(Debug)]
struct Slot {
    name: String,
    param: Tensor,
    rule: Rule,
    m: Tensor,
    v: Option<Tensor>,
}

#[derive(Debug)]
pub struct Optimizer {
    slots: Vec<Slot>,
    cfg: OptimConfig,
    steps: u64,
}

/// Muon takes 2-D weights whose name mentions neither "embed" nor "head".
pub fn muon_eligible(name: &str, dims: usize) -> bool {
    dims == 2 && !name.contains("embed") && !name.contains("head")
}

impl Optimizer {
    pub fn new(vs: &VarStore, cfg: &OptimConfig) -> Optimizer {
        let mut vars: Vec<(String, Tensor)> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let slots = vars
            .into_iter()
            .map(|(name, param)| {
                let rule = if cfg.kind == OptimKind::Muon && muon_eligible(&name, param.dim()) {
                    Rule::Muon
                } else {
                    Rule::AdamW
                };
                let m = param.zeros_like();
                let v = (rule == Rule::AdamW).then(|| param.zeros_like());
                Slot {
                    name,
                    param,
                    rule,
                    m,
                    v,
                }
            })
            .collect();
        Optimizer {
            slots,
            cfg: cfg.clone(),
            steps: 0,
        }
    }

    /// (name, rule) of every parameter, in update order.
    pub fn assignment(&self) -> Vec<(String, Rule)> {
        self.slots
            .iter()
            .map(|s| (s.name.clone(), s.rule))
            .collect()
    }

    pub fn zero_grad(&mut self) {
        for s in &mut self.slots {
            s.param.zero_grad();
        }
    }

    /// Scales all gradients so their global L2 norm is at most `max_norm`; returns the norm before.
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        let grads: Vec<Tensor> = self
            .slots
            .iter()
            .map(|s| s.param.grad())
            .filter(|g| g.defined())
            .collect();
        if grads.is_empty() {
            return 0.0;
        }
        let total = tch::no_grad(|| {
            let sq: Vec<Tensor> = grads.iter().map(|g| g.square().sum(Kind::Float)).collect();
            f64::try_from(Tensor::stack(&sq, 0).sum(Kind::Float).sqrt()).unwrap_or(f64::NAN)
        });
        if max_norm > 0.0 && total > max_norm {
            let scale = max_norm / (total + 1e-6);
            tch::no_grad(|| {
                for mut g in grads {
                    let _ = g.g_mul_scalar_(scale);
                }
            });
        }
        total
    }

    /// One update with both learning rates multiplied by `lr_mult` (the schedule).
    pub fn step(&mut self, lr_mult: f64) {
        self.steps += 1;
        let c = &self.cfg;
        let t = self.steps as i32;
        let (b1, b2) = (c.beta1, c.beta2);
        let (bc1, bc2) = (1.0 - b1.powi(t), 1.0 - b2.powi(t));
        tch::no_grad(|| {
            for s in &mut self.slots {
                let g = s.param.grad();
                if !g.defined() {
                    continue;
                }
                match s.rule {
                    Rule::AdamW => {
                        let lr = c.adam_lr * lr_mult;
                        let v = s.v.as_mut().expect("AdamW slot has a second moment");
                        let _ = s.m.g_mul_scalar_(b1).g_add_(&(&g * (1.0 - b1)));
                        let _ = v.g_mul_scalar_(b2).g_add_(&(g.square() * (1.0 - b2)));
                        if s.param.dim() >= 2 && c.weight_decay > 0.0 {
                            let _ = s.param.g_mul_scalar_(1.0 - lr * c.weight_decay);
                        }
                        let upd = (&s.m / bc1) / ((&*v / bc2).sqrt() + c.eps) * lr;
                        let _ = s.param.g_sub_(&upd);
                    }
                    Rule::Muon => {
                        let lr = c.lr * lr_mult;
                        // buf ← μ·buf + (1−μ)·g; Nesterov: g ← (1−μ)·g + μ·buf.
                        let _ =
                            s.m.g_mul_scalar_(c.momentum)
                                .g_add_(&(&g * (1.0 - c.momentum)));
                        let g = &g * (1.0 - c.momentum) + &s.m * c.momentum;
                        let size = s.param.size();
                        let aspect = (size[0] as f64 / size[1] as f64).max(1.0).sqrt();
                        let upd = newton_schulz(&g, c.ns_steps) * (lr * aspect);
                        if c.weight_decay > 0.0 {
                            let _ = s.param.g_mul_scalar_(1.0 - lr * c.weight_decay);
                        }
                        let _ = s.param.g_sub_(&upd.to_kind(s.param.kind()));
                    }
                }
            }
        });
    }
}

/// Approximately orthogonalises a 2-D matrix (U Vᵀ of its SVD, singular values pushed to ~[0.7, 1.2]).
pub fn newton_schulz(g: &Tensor, steps: usize) -> Tensor {
    let (a, b, c) = NS_COEFFS;
    let size = g.size();
    let tall = size[0] > size[1];
    let mut x = g.to_kind(Kind::Float);
    if tall {
        x = x.tr();
    }
    x = &x / (x.norm() + 1e-7);
    for _ in 0..steps {
        let am = x.matmul(&x.tr());
        let bm = &am * b + am.matmul(&am) * c;
        x = &x * a + bm.matmul(&x);
    }
    if tall {
        x.tr()
    } else {
        x
    }
}

/// LR multiplier at `step` (0-based) of `total`: linear warm-up, then cosine/linear decay to
/// `final_lr_frac`, or constant.
pub fn lr_multiplier(cfg: &OptimConfig, step: usize, total: usize) -> f64 {
    let w = cfg.warmup_steps;
    if step < w {
        return (step + 1) as f64 / w as f64;
    }
    let span = total.saturating_sub(w).max(1) as f64;
    let progress = ((step - w) as f64 / span).min(1.0);
    let lo = cfg.final_lr_frac;
    match cfg.schedule {
        LrSchedule::Constant => 1.0,
        LrSchedule::Linear => 1.0 - (1.0 - lo) * progress,
        LrSchedule::Cosine => {
            lo + (1.0 - lo) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
        }
    }
}

/// Soft-fill temperature at `step` of `total`: geometric from `start` to `end`.
pub fn temperature(start: f64, end: f64, step: usize, total: usize) -> f64 {
    if total <= 1 {
        return end;
    }
    let x = (step.min(total - 1)) as f64 / (total - 1) as f64;
    start * (end / start).powf(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{nn::Init, Device};

    #[test]
    fn newton_schulz_orthogonalises() {
        tch::manual_seed(3);
        for shape in [[8i64, 16], [16, 8]] {
            let g = Tensor::randn(shape, (Kind::Float, Device::Cpu));
            let x = newton_schulz(&g, 5);
            let small = shape[0].min(shape[1]);
            let gram = if shape[0] <= shape[1] {
                x.matmul(&x.tr())
            } else {
                x.tr().matmul(&x)
            };
            let sv: Vec<f32> = Vec::try_from(gram.diagonal(0, 0, 1)).unwrap();
            assert_eq!(sv.len() as i64, small);
            // Quintic NS gives singular values in roughly [0.7, 1.2] (squared: [0.49, 1.44]).
            assert!(sv.iter().all(|v| (0.3..1.6).contains(v)), "{sv:?}");
        }
    }

    fn quadratic_descends(kind: OptimKind) {
        tch::manual_seed(5);
        let vs = VarStore::new(Device::Cpu);
        let root = vs.root();
        let w = root.var(
            "blocks_w",
            &[6, 6],
            Init::Randn {
                mean: 0.0,
                stdev: 1.0,
            },
        );
        let h = root.var(
            "head_b",
            &[6],
            Init::Randn {
                mean: 0.0,
                stdev: 1.0,
            },
        );
        let cfg = OptimConfig {
            kind,
            lr: 0.05,
            adam_lr: 0.05,
            warmup_steps: 0,
            ..Default::default()
        };
        let mut opt = Optimizer::new(&vs, &cfg);
        if kind == OptimKind::Muon {
            assert_eq!(
                opt.assignment(),
                vec![
                    ("blocks_w".into(), Rule::Muon),
                    ("head_b".into(), Rule::AdamW)
                ]
            );
        }
        let loss = || w.square().sum(Kind::Float) + h.square().sum(Kind::Float);
        let first = f64::try_from(loss()).unwrap();
        for _ in 0..60 {
            opt.zero_grad();
            loss().backward();
            opt.clip_grad_norm(1.0);
            opt.step(1.0);
        }
        let last = f64::try_from(loss()).unwrap();
        assert!(last < 0.25 * first, "{kind:?}: {first} -> {last}");
    }

    #[test]
    fn adamw_descends() {
        quadratic_descends(OptimKind::Adamw);
    }

    #[test]
    fn muon_descends() {
        quadratic_descends(OptimKind::Muon);
    }

    #[test]
    fn schedules() {
        let cfg = OptimConfig {
            warmup_steps: 10,
            final_lr_frac: 0.1,
            ..Default::default()
        };
        assert!((lr_multiplier(&cfg, 0, 100) - 0.1).abs() < 1e-12);
        assert!((lr_multiplier(&cfg, 9, 100) - 1.0).abs() < 1e-12);
        assert!((lr_multiplier(&cfg, 10, 100) - 1.0).abs() < 1e-12);
        assert!((lr_multiplier(&cfg, 100, 100) - 0.1).abs() < 1e-9);
        assert!((temperature(0.01, 0.0001, 0, 11) - 0.01).abs() < 1e-15);
        assert!((temperature(0.01, 0.0001, 5, 11) - 0.001).abs() < 1e-12);
        assert!((temperature(0.01, 0.0001, 10, 11) - 0.0001).abs() < 1e-15);
    }
}
