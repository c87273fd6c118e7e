/** Finds and runs the `tradelab-train` binary (crates/train), streaming its JSON-lines events. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TradelabError } from "../errors.js";
import { parseEventLine, type TrainEvent } from "./events.js";
import { SETUP_TRAIN_HINT, TORCH_VERSION, torchLibDir, torchVenvDir, trainerEnv } from "./torch-venv.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const EXE = process.platform === "win32" ? "tradelab-train.exe" : "tradelab-train";
/** A checkout has the Rust workspace next to ts/; the published package does not. */
const inCheckout = existsSync(path.join(repoRoot, "Cargo.toml"));
const require = createRequire(import.meta.url);

/** The per-platform package (npm/<triple>) that ships the addon and the trainer, if installed. */
function platformPackageBinary(): string | null {
  const name = `tradelab-${process.platform}-${process.arch}-gnu`;
  try {
    return path.join(path.dirname(require.resolve(`${name}/package.json`)), EXE);
  } catch {
    return null;
  }
}

/** Where the binary is looked for, in order: cargo's output in a checkout, else the platform package. */
export function trainBinaryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const c: string[] = [];
  if (inCheckout) {
    if (env["CARGO_TARGET_DIR"]) c.push(path.resolve(env["CARGO_TARGET_DIR"], "release", EXE));
    c.push(path.join(repoRoot, "target", "release", EXE));
    // scripts/torch-env.sh and the helpers' shared target dir.
    c.push(path.join(env["HOME"] ?? os.homedir(), ".cache", "tradelab", "target", "release", EXE));
  }
  const pkg = platformPackageBinary();
  if (pkg) c.push(pkg);
  return c;
}

/** `$TRADELAB_TRAIN_BIN`, else the first built binary among `trainBinaryCandidates`. */
export function locateTrainBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env["TRADELAB_TRAIN_BIN"];
  if (explicit) {
    if (!existsSync(explicit)) throw new TradelabError(`TRADELAB_TRAIN_BIN=${explicit}: no such file`);
    return explicit;
  }
  const found = trainBinaryCandidates(env).find((p) => existsSync(p));
  if (!found) {
    const how = inCheckout
      ? "Run `npm run build:train` (installs pip torch 2.11.0 once, then builds crates/train), or set TRADELAB_TRAIN_BIN."
      : `It ships in the platform package tradelab-${process.platform}-${process.arch}-gnu: reinstall tradelab without --omit=optional, or set TRADELAB_TRAIN_BIN.`;
    const where = trainBinaryCandidates(env);
    throw new TradelabError(`the trainer binary tradelab-train is not built (looked in ${where.length ? where.join(", ") : "no candidate path"}). ${how}`);
  }
  return found;
}

/** Fails with the exact command to run when the trainer's pip torch is missing. */
export function requireTorch(env: NodeJS.ProcessEnv = process.env): void {
  if (env["TRADELAB_TRAIN_BIN"]) return; // a caller-chosen binary brings its own libtorch
  const venv = torchVenvDir(env);
  if (torchLibDir(venv)) return;
  const how = inCheckout ? "run `npm run setup:torch` (or `npx tradelab setup train`)" : SETUP_TRAIN_HINT;
  throw new TradelabError(`training needs pip torch ${TORCH_VERSION} in ${venv}, which is missing: ${how}`, { code: "TORCH_MISSING" });
}

export interface RunTrainBinaryOptions {
  /** Called for every event as it arrives (progress streams while training runs). */
  onEvent?: (e: TrainEvent) => void;
  /** Called with the binary's human-readable stderr text as it arrives. */
  onStderr?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the binary (SIGTERM), e.g. a study pruning the trial; the promise rejects. */
  signal?: AbortSignal;
}

const tail = (s: string, n = 2000) => (s.length > n ? `…${s.slice(-n)}` : s);

/**
 * Runs `tradelab-train <args>` and resolves with all its events. An `error` event or a non-zero
 * exit rejects with a TradelabError carrying the binary's message.
 */
export function runTrainBinary(args: string[], o: RunTrainBinaryOptions = {}): Promise<TrainEvent[]> {
  const env = trainerEnv({ ...process.env, ...o.env });
  const bin = locateTrainBinary(env);
  requireTorch(env);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ["ignore", "pipe", "pipe"], ...(o.signal ? { signal: o.signal } : {}) });
    const events: TrainEvent[] = [];
    let stderr = "";
    let parseError: TradelabError | undefined;
    let lineNo = 0;
    child.stderr.on("data", (d: Buffer) => {
      const s = d.toString();
      stderr += s;
      o.onStderr?.(s);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      lineNo += 1;
      if (parseError) return;
      try {
        const e = parseEventLine(line, lineNo);
        if (!e) return;
        events.push(e);
        o.onEvent?.(e);
      } catch (err) {
        parseError = err instanceof TradelabError ? err : new TradelabError(String(err));
      }
    });
    let spawnError: Error | undefined;
    child.on("error", (err) => (spawnError = err));
    const stdoutClosed = new Promise<void>((r) => lines.on("close", () => r()));
    child.on("close", (code, signal) => {
      void stdoutClosed.then(() => {
        if (spawnError) return reject(new TradelabError(`cannot run ${bin}: ${spawnError.message}`, { cause: spawnError }));
        const errorEvent = events.find((e) => e.event === "error");
        if (errorEvent && errorEvent.event === "error") return reject(new TradelabError(errorEvent.message, errorEvent.code ? { code: errorEvent.code } : undefined));
        if (parseError) return reject(parseError);
        if (code !== 0) {
          const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          return reject(new TradelabError(`tradelab-train ${why}${stderr.trim() ? `: ${tail(stderr.trim())}` : ""}`));
        }
        resolve(events);
      });
    });
  });
}
