/** `tradelab doctor` and `tradelab setup train`: what this install can run, and installing torch for training. */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { codeVersion, environment } from "../registry/index.js";
import { locateTrainBinary } from "../train/binary.js";
import { setupTorchVenv, SETUP_TRAIN_HINT, torchInfo, trainerEnv } from "../train/torch-venv.js";
import { printJson } from "./ui.js";

type Status = "ok" | "warn" | "fail";
export interface DoctorCheck {
  name: string;
  status: Status;
  detail: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const require = createRequire(import.meta.url);

/** Which addon file the loader (bindings/node/index.cjs) picks: a checkout's local build wins. */
function addonSource(): string {
  const local = path.join(root, "bindings", "node", `tradelab.${process.platform}-${process.arch}-gnu.node`);
  if (existsSync(local)) return `local build ${local}`;
  try {
    const pkg = path.dirname(require.resolve(`tradelab-${process.platform}-${process.arch}-gnu/package.json`));
    return `platform package ${pkg}`;
  } catch {
    return "unknown source";
  }
}

function addonCheck(): DoctorCheck {
  const e = environment();
  return { name: "addon", status: "ok", detail: `tradelab ${codeVersion()} · ${addonSource()} · sim SIMD ${e.simd} · ${e.threads} threads · ${e.cpu} (${e.cpuCount} CPUs) · ${e.os}/${e.arch}` };
}

function trainerCheck(): DoctorCheck {
  let bin: string;
  try {
    bin = locateTrainBinary();
  } catch (e) {
    return { name: "trainer", status: "warn", detail: e instanceof Error ? e.message : String(e) };
  }
  // `help` loads the binary and its libtorch shared libraries, then exits: proof the link resolves.
  const r = spawnSync(bin, ["help"], { encoding: "utf8", env: trainerEnv({ ...process.env }) });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || "").trim().split("\n")[0] ?? "";
    return { name: "trainer", status: "warn", detail: `${bin} does not start (${why}): ${SETUP_TRAIN_HINT}` };
  }
  const built = statSync(bin).mtime.toISOString().slice(0, 16).replace("T", " ");
  return { name: "trainer", status: "ok", detail: `${bin} (built ${built} UTC; starts and links libtorch from the torch venv)` };
}

function torchCheck(): DoctorCheck[] {
  const t = torchInfo();
  if (t.problem) return [{ name: "torch", status: "warn", detail: `${t.problem}: train and demo need it; ${SETUP_TRAIN_HINT}` }];
  return [
    { name: "torch", status: "ok", detail: `torch ${t.version} in ${t.venv}` },
    {
      name: "cuda",
      status: t.cudaAvailable ? "ok" : "warn",
      detail: t.cudaAvailable ? `CUDA ${t.cuda} available (train --device auto uses it)` : `no CUDA device (torch built with CUDA ${t.cuda ?? "none"}); training runs on the CPU`,
    },
  ];
}

function chromiumCheck(): DoctorCheck {
  const explicit = process.env["TRADELAB_CHROMIUM"];
  const candidates = explicit ? [explicit] : ["chromium", "chromium-browser", "google-chrome"];
  for (const c of candidates) {
    const r = spawnSync(c, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return { name: "chromium", status: "ok", detail: `${r.stdout.trim()} (${c}; opens HTML reports, the report browser test)` };
  }
  return { name: "chromium", status: "warn", detail: `not found (${candidates.join(", ")}): reports still write; install chromium or set TRADELAB_CHROMIUM to view/test them headless` };
}

/** PING over RESP: a configured Redis must answer +PONG within 2 s. */
function redisCheck(): Promise<DoctorCheck | null> {
  const url = process.env["TRADELAB_REDIS_URL"];
  if (!url) return Promise.resolve(null);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ name: "redis", status: "fail", detail: `TRADELAB_REDIS_URL=${url} is not a URL (redis://host:port)` });
  }
  const host = u.hostname || "127.0.0.1";
  const port = Number(u.port || 6379);
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (c: DoctorCheck) => {
      s.destroy();
      resolve(c);
    };
    s.setTimeout(2000, () => done({ name: "redis", status: "fail", detail: `${host}:${port}: no answer in 2 s` }));
    s.on("error", (e) => done({ name: "redis", status: "fail", detail: `${host}:${port}: ${e.message}` }));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      const a = d.toString().trim();
      done(a === "+PONG" ? { name: "redis", status: "ok", detail: `${host}:${port} answers PING` } : { name: "redis", status: "fail", detail: `${host}:${port} answered ${a.slice(0, 80)}` });
    });
  });
}

export async function doctorChecks(): Promise<DoctorCheck[]> {
  const checks = [addonCheck(), trainerCheck(), ...torchCheck(), chromiumCheck()];
  const redis = await redisCheck();
  if (redis) checks.push(redis);
  return checks;
}

export function doctorCommands(version: string): Command[] {
  const doctor = new Command("doctor")
    .description("what this install can run: the addon and its SIMD level, the trainer, torch and CUDA, chromium, Redis ($TRADELAB_REDIS_URL)")
    .option("--json", "print the checks as JSON")
    .action(async (o: { json?: boolean }) => {
      const checks = await doctorChecks();
      if (checks.some((c) => c.status === "fail")) process.exitCode = 1;
      if (o.json) return printJson({ version, node: process.version, checks });
      process.stdout.write(`tradelab ${version} · node ${process.version}\n`);
      for (const c of checks) process.stdout.write(`${c.status.padEnd(4)}  ${c.name.padEnd(8)}  ${c.detail}\n`);
    });
  const setup = new Command("setup").description("install optional parts");
  setup
    .command("train")
    .description("create or reuse the torch venv the trainer needs (pip torch==2.11.0; $TRADELAB_TORCH_VENV, default ~/.cache/tradelab/torch-venv)")
    .action(async () => {
      const say = (s: string) => process.stderr.write(`setup train: ${s}\n`);
      const t = await setupTorchVenv(say);
      const trainer = trainerCheck();
      process.stdout.write(`torch ${t.version} (CUDA ${t.cuda ?? "none"}${t.cudaAvailable ? ", device available" : ""}) in ${t.venv}\n${trainer.status}  trainer  ${trainer.detail}\n`);
      if (trainer.status !== "ok") process.exitCode = 1;
    });
  return [doctor, setup];
}
