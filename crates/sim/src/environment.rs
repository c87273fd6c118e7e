//! What a result depends on beyond its config, seed and data: the machine and the numerical
//! libraries it ran with. Recorded with every run (run registry) and every checkpoint, and shown
//! by `tradelab runs compare` where two runs differ.
//!
//! The simulator itself does not depend on any of it: the engine is a sequential fold in `f64`
//! and the lockstep kernel is bit-identical to it at every SIMD level (property-tested), with
//! any thread count. Training does: libtorch picks kernels by CPU capability and thread count,
//! and MKL by CPU model, so the same config and seed can train a different policy on another
//! machine. [`Environment::libtorch`] holds what the trainer (crates/train) adds.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Environment variables that change which code paths or how many threads run when set.
pub const NUMERIC_ENV_VARS: [&str; 8] = [
    "TRADELAB_SIM_SIMD",
    "RAYON_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "ATEN_CPU_CAPABILITY",
    "CUBLAS_WORKSPACE_CONFIG",
];

/// The machine and libraries a run's numbers came from (camelCase JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// `model name` from /proc/cpuinfo, else `<arch> (<os>)`.
    pub cpu: String,
    /// Logical CPUs the process may use (`available_parallelism`).
    pub cpu_count: usize,
    /// SIMD level the sim kernel runs with ([`crate::simd_level`], capped by `TRADELAB_SIM_SIMD`).
    pub simd: String,
    pub os: String,
    pub arch: String,
    /// Threads of the rayon pool that sweeps and feature builds run on.
    pub threads: usize,
    /// Where the numbers were computed: `cpu`, or `cuda:N` for a trainer run on a GPU.
    pub device: String,
    /// Deterministic mode was on (`tradelab train --deterministic`: libtorch on one intra-op and
    /// one inter-op thread). False for runs without such a mode (backtests and sweeps are
    /// deterministic by construction).
    pub deterministic: bool,
    /// Set when the numbers passed through libtorch (train, eval, actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libtorch: Option<Libtorch>,
    /// The [`NUMERIC_ENV_VARS`] that were set, with their values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_vars: BTreeMap<String, String>,
}

/// The libtorch a trainer binary linked and ran with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Libtorch {
    /// `torch.__version__` of the build (e.g. `2.11.0+cu130`).
    pub version: String,
    /// The PyTorch commit it was built from.
    pub git: String,
    /// CUDA version libtorch was built with (None: a CPU-only build).
    pub cuda_build: Option<String>,
    /// Kernel set ATen dispatches to on this CPU: `avx512`, `avx2` or `default` (ATen's rule:
    /// the best the CPU supports, capped by `ATEN_CPU_CAPABILITY`).
    pub cpu_capability: String,
    /// Intra-op threads (`tch::get_num_threads`).
    pub threads: i32,
    /// Inter-op threads (`tch::get_num_interop_threads`).
    pub interop_threads: i32,
    /// A CUDA device was visible to libtorch.
    pub cuda_available: bool,
    /// `torch.use_deterministic_algorithms(True)` was in effect. Always false: tch 0.24 does not
    /// expose it (on CPU the single-threaded ops used here are deterministic without it).
    pub deterministic_algorithms: bool,
}

/// The name of a [`crate::SimdLevel`] as recorded.
pub fn simd_name(l: crate::SimdLevel) -> &'static str {
    match l {
        crate::SimdLevel::Avx512 => "avx512",
        crate::SimdLevel::Avx2 => "avx2",
        crate::SimdLevel::Scalar => "scalar",
    }
}

/// `model name` of the first CPU in /proc/cpuinfo (Linux), else `<arch> (<os>)`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim() == "model name")
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{} ({})", std::env::consts::ARCH, std::env::consts::OS))
}

/// This process's environment (no libtorch fields; the trainer adds them). Cheap: one read of
/// /proc/cpuinfo.
pub fn environment() -> Environment {
    Environment {
        cpu: cpu_model(),
        cpu_count: std::thread::available_parallelism().map_or(1, |n| n.get()),
        simd: simd_name(crate::simd_level()).to_string(),
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
        threads: rayon::current_num_threads(),
        device: "cpu".to_string(),
        deterministic: false,
        libtorch: None,
        env_vars: NUMERIC_ENV_VARS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_process() {
        let e = environment();
        assert!(!e.cpu.is_empty());
        assert!(e.cpu_count >= 1 && e.threads >= 1);
        assert_eq!(e.simd, simd_name(crate::simd_level()));
        assert_eq!(e.os, std::env::consts::OS);
        let json = serde_json::to_value(&e).unwrap();
        // camelCase, and no libtorch block for a process that has none.
        assert!(
            json.get("cpuCount").is_some() && json.get("libtorch").is_none(),
            "{json}"
        );
        let back: Environment = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
