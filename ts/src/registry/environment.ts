/**
 * What a run's numbers depend on beyond config, seed and data: CPU model, the sim kernel's SIMD
 * level, threads, OS/arch, device, deterministic mode and, for train/eval/actions, the libtorch
 * build and threads. Measured in Rust (`tradelab_sim::environment`, the trainer adds libtorch)
 * and recorded with every run; `tradelab runs compare` shows where runs differ.
 */
import { addon } from "../native.js";

/** The libtorch a trainer run linked and ran with (crates/train `environment::libtorch`). */
export interface LibtorchEnvironment {
  /** `torch.__version__` of the build, e.g. `2.11.0+cu130`. */
  version: string;
  /** PyTorch commit of the build. */
  git: string;
  /** CUDA version libtorch was built with; null for a CPU-only build. */
  cudaBuild: string | null;
  /** Kernel set ATen dispatches to on this CPU: `avx512`, `avx2` or `default`. */
  cpuCapability: string;
  threads: number;
  interopThreads: number;
  cudaAvailable: boolean;
  /** `torch.use_deterministic_algorithms`: always false (tch 0.24 does not expose it). */
  deterministicAlgorithms: boolean;
}

/** `tradelab_sim::Environment` (camelCase). */
export interface Environment {
  /** /proc/cpuinfo `model name`, else `<arch> (<os>)`. */
  cpu: string;
  cpuCount: number;
  /** SIMD level of the sim kernel (`TRADELAB_SIM_SIMD` caps it). */
  simd: string;
  os: string;
  arch: string;
  /** rayon threads (sweeps, feature builds). */
  threads: number;
  /** `cpu` or `cuda:N`. */
  device: string;
  /** `--deterministic` / `training.deterministic` was on. */
  deterministic: boolean;
  libtorch?: LibtorchEnvironment;
  /** Numeric environment variables that were set (MKL_CBWR, ATEN_CPU_CAPABILITY, OMP_NUM_THREADS, ...). */
  envVars?: Record<string, string>;
}

/** This process's environment (the addon's: the one backtests and sweeps run in). */
export function environment(): Environment {
  return addon.environment() as Environment;
}

/** One environment field across compared runs, where they differ (`null`: not recorded). */
export interface EnvironmentRow {
  /** Dotted path: `simd`, `libtorch.version`, `envVars.MKL_CBWR`, ... */
  field: string;
  values: (string | null)[];
}

/** One line: `AMD EPYC (2 CPUs) · sim avx512 · 2 threads · linux/x86_64 · cpu · libtorch 2.11.0+cu130 (avx512 kernels, 1 thread) · deterministic`. */
export function environmentText(e: Environment): string {
  const parts = [`${e.cpu} (${e.cpuCount} CPU${e.cpuCount === 1 ? "" : "s"})`, `sim ${e.simd}`, `${e.threads} thread${e.threads === 1 ? "" : "s"}`, `${e.os}/${e.arch}`, e.device];
  const t = e.libtorch;
  if (t) parts.push(`libtorch ${t.version} (${t.cpuCapability} kernels, ${t.threads} thread${t.threads === 1 ? "" : "s"}, ${t.interopThreads} inter-op)`);
  parts.push(e.deterministic ? "deterministic" : "not deterministic mode");
  const vars = Object.entries(e.envVars ?? {});
  if (vars.length) parts.push(vars.map(([k, v]) => `${k}=${v}`).join(" "));
  return parts.join(" · ");
}
