/**
 * The pip `torch` the trainer links at run time: a venv kept outside the package
 * (`$TRADELAB_TORCH_VENV`, default `~/.cache/tradelab/torch-venv`), the same one
 * scripts/setup-libtorch.sh makes for a checkout. `tradelab setup train` creates or reuses it.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { TradelabError } from "../errors.js";

/** The torch release crates/train is built against (tch 0.24 = libtorch 2.11.0). */
export const TORCH_VERSION = "2.11.0";
/** What `pip install torch==2.11.0` downloads on linux x64 (CUDA wheels included), measured here. */
export const TORCH_DOWNLOAD_SIZE = "about 4.6 GB on disk (CUDA wheels included)";

export function torchVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  return env["TRADELAB_TORCH_VENV"] ?? path.join(env["HOME"] ?? os.homedir(), ".cache", "tradelab", "torch-venv");
}

const venvPython = (venv: string) => path.join(venv, "bin", "python");

/** `<venv>/lib/python3.X/site-packages/torch/lib`, where libtorch*.so live; null when absent. */
export function torchLibDir(venv: string): string | null {
  const lib = path.join(venv, "lib");
  if (!existsSync(lib)) return null;
  for (const py of readdirSync(lib).filter((d) => d.startsWith("python")).sort()) {
    const dir = path.join(lib, py, "site-packages", "torch", "lib");
    if (existsSync(path.join(dir, "libtorch.so"))) return dir;
  }
  return null;
}

export interface TorchInfo {
  venv: string;
  /** `torch.__version__`, e.g. `2.11.0+cu130`; null when the venv has no importable torch. */
  version: string | null;
  /** CUDA version torch was built with; null for a CPU build. */
  cuda: string | null;
  cudaAvailable: boolean;
  libDir: string | null;
  /** Why torch is unusable, or null when it is the right version. */
  problem: string | null;
}

/** The commands that make the venv, for messages: what a user without torch should run. */
export const SETUP_TRAIN_HINT = "run `npx tradelab setup train` (installs pip torch==2.11.0 into a venv, " + TORCH_DOWNLOAD_SIZE + ")";

/** Asks the venv's python which torch it has (~2 s: it imports torch). */
export function torchInfo(env: NodeJS.ProcessEnv = process.env): TorchInfo {
  const venv = torchVenvDir(env);
  const base = { venv, version: null, cuda: null, cudaAvailable: false, libDir: torchLibDir(venv) };
  if (!existsSync(venvPython(venv))) return { ...base, problem: `no torch venv at ${venv}` };
  const r = spawnSync(venvPython(venv), ["-c", "import json, torch; print(json.dumps([torch.__version__, torch.version.cuda, torch.cuda.is_available()]))"], {
    encoding: "utf8",
    env: { ...env, PYTHONNOUSERSITE: "1" },
  });
  if (r.status !== 0) return { ...base, problem: `torch does not import in ${venv}: ${(r.stderr || "").trim().split("\n").slice(-1)[0] ?? ""}` };
  const [version, cuda, cudaAvailable] = JSON.parse(r.stdout.trim()) as [string, string | null, boolean];
  const problem = version.split("+")[0] === TORCH_VERSION ? null : `${venv} has torch ${version}, the trainer needs ${TORCH_VERSION}`;
  return { ...base, version, cuda, cudaAvailable, problem };
}

/**
 * The environment the trainer runs with: the venv's torch/lib first on LD_LIBRARY_PATH, so a
 * binary built on another machine (or a venv moved elsewhere) finds the same libtorch.
 */
export function trainerEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const lib = torchLibDir(torchVenvDir(env));
  if (!lib) return env;
  const prev = env["LD_LIBRARY_PATH"];
  return { ...env, LD_LIBRARY_PATH: prev ? `${lib}${path.delimiter}${prev}` : lib };
}

function run(cmd: string, args: string[], say: (s: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    say(`$ ${cmd} ${args.join(" ")}`);
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, PYTHONNOUSERSITE: "1" } });
    child.on("error", (e) => reject(new TradelabError(`cannot run ${cmd}: ${e.message}`, { cause: e })));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new TradelabError(`${cmd} ${args.join(" ")} exited with code ${code}`))));
  });
}

/** Creates or reuses the torch venv; never re-downloads a venv that already has torch 2.11.0. */
export async function setupTorchVenv(say: (s: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<TorchInfo> {
  const venv = torchVenvDir(env);
  let info = torchInfo(env);
  if (!info.problem) {
    say(`torch ${info.version} already in ${venv} (nothing to download)`);
    return info;
  }
  say(`${info.problem}; installing pip torch==${TORCH_VERSION} into ${venv}: ${TORCH_DOWNLOAD_SIZE}, a few minutes on a fast link`);
  if (!existsSync(venvPython(venv))) {
    mkdirSync(path.dirname(venv), { recursive: true });
    await run("python3", ["-m", "venv", venv], say).catch((e: unknown) => {
      throw new TradelabError(`${e instanceof Error ? e.message : String(e)} (needs python3 with the venv module: apt-get install python3-venv)`);
    });
  }
  await run(path.join(venv, "bin", "pip"), ["install", "--progress-bar", "on", `torch==${TORCH_VERSION}`], say);
  info = torchInfo(env);
  if (info.problem) throw new TradelabError(`after pip install: ${info.problem}`);
  say(`installed torch ${info.version} in ${venv}`);
  return info;
}
