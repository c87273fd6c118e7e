//! What the trainer's numbers depend on: [`tradelab_sim::environment`] plus the libtorch it
//! linked and runs with (version and build from `torch/version.py`, read at build time; the
//! kernel set ATen dispatches to on this CPU; intra- and inter-op threads; CUDA), and the
//! deterministic mode.
//!
//! Deterministic mode (`--deterministic`, `training.deterministic`) runs libtorch on one
//! intra-op and one inter-op thread. tch 0.24 does not expose
//! `torch.use_deterministic_algorithms`, so it is CPU-only: `--device auto` picks the CPU and
//! `--device cuda` is refused. It makes a run repeat exactly on the same machine and build
//! whatever the config's `threads`; it does not make two CPUs agree (ATen and MKL pick
//! different kernels per CPU, see the README's "Reproducibility").
use crate::error::{Result, TrainError};
use std::sync::atomic::{AtomicBool, Ordering};
use tch::Device;
use tradelab_sim::{Environment, Libtorch};

static DETERMINISTIC: AtomicBool = AtomicBool::new(false);

/// Turns deterministic mode on for this process (the binary's `--deterministic`, before any
/// libtorch work: inter-op threads can be pinned only before they start) and pins libtorch to
/// one intra-op and one inter-op thread.
pub fn enable_deterministic() -> Result<()> {
    DETERMINISTIC.store(true, Ordering::SeqCst);
    pin_single_thread()
}

/// One inter-op and one intra-op libtorch thread. Fails when the inter-op threads already
/// started with more than one.
fn pin_single_thread() -> Result<()> {
    if tch::get_num_interop_threads() != 1 {
        // tch panics on a libtorch error; the only one here is "already set / already started".
        let set = std::panic::catch_unwind(|| tch::set_num_interop_threads(1));
        if set.is_err() || tch::get_num_interop_threads() != 1 {
            return Err(TrainError::Usage(
                "deterministic mode: libtorch's inter-op threads were already started and cannot be pinned to 1 \
                 (enable it before any libtorch work)"
                    .into(),
            ));
        }
    }
    tch::set_num_threads(1);
    Ok(())
}

/// Deterministic mode is on: enabled for the process, or asked for by the config.
pub fn deterministic(config_asks: bool) -> bool {
    config_asks || DETERMINISTIC.load(Ordering::SeqCst)
}

/// Sets libtorch's intra-op threads for a command: the config's `threads`, or 1 in
/// deterministic mode (which also pins the inter-op threads).
pub fn apply_threads(threads: i32, config_deterministic: bool) -> Result<()> {
    if deterministic(config_deterministic) {
        pin_single_thread()
    } else {
        tch::set_num_threads(threads);
        Ok(())
    }
}

/// The device a command on a checkpoint runs on: `requested`, or the CPU in deterministic mode
/// (said on stderr when another device was asked for).
pub fn device_for(requested: Device, config_deterministic: bool) -> Device {
    if deterministic(config_deterministic) && requested != Device::Cpu {
        eprintln!("tradelab-train: deterministic mode runs on the CPU (the checkpoint was trained deterministically, or --deterministic)");
        Device::Cpu
    } else {
        requested
    }
}

/// The kernel set ATen dispatches to: `ATEN_CPU_CAPABILITY` when the CPU supports it, else the
/// best the CPU supports (ATen's rule: avx512 needs avx512vl/bw/dq and fma, avx2 needs fma).
pub fn aten_cpu_capability() -> String {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let avx512 = has!("avx512vl") && has!("avx512bw") && has!("avx512dq") && has!("fma");
        let avx2 = has!("avx2") && has!("fma");
        let best = if avx512 {
            "avx512"
        } else if avx2 {
            "avx2"
        } else {
            "default"
        };
        match std::env::var("ATEN_CPU_CAPABILITY").as_deref() {
            Ok("avx512") if avx512 => "avx512".into(),
            Ok("avx2") if avx2 => "avx2".into(),
            Ok("default") => "default".into(),
            _ => best.into(),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        std::env::var("ATEN_CPU_CAPABILITY").unwrap_or_else(|_| "default".into())
    }
}

/// The libtorch this binary was built against and runs with.
pub fn libtorch() -> Libtorch {
    let cuda = env!("TRADELAB_LIBTORCH_CUDA");
    Libtorch {
        version: env!("TRADELAB_LIBTORCH_VERSION").to_string(),
        git: env!("TRADELAB_LIBTORCH_GIT").to_string(),
        cuda_build: (!cuda.is_empty()).then(|| cuda.to_string()),
        cpu_capability: aten_cpu_capability(),
        threads: tch::get_num_threads(),
        interop_threads: tch::get_num_interop_threads(),
        cuda_available: tch::Cuda::is_available(),
        deterministic_algorithms: false,
    }
}

/// This process's environment for a command running on `device`.
pub fn environment(device: Device, config_deterministic: bool) -> Environment {
    Environment {
        device: crate::trainer::device_name(device),
        deterministic: deterministic(config_deterministic),
        libtorch: Some(libtorch()),
        ..tradelab_sim::environment()
    }
}
