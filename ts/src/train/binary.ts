/** Finds and runs the `tradelab-train` binary (crates/train), streaming its JSON-lines events. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TradelabError } from "../errors.js";
import { parseEventLine, type TrainEvent } from "./events.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const EXE = process.platform === "win32" ? "tradelab-train.exe" : "tradelab-train";

/** Where the binary is looked for, in order. */
export function trainBinaryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const c: string[] = [];
  if (env["CARGO_TARGET_DIR"]) c.push(path.resolve(env["CARGO_TARGET_DIR"], "release", EXE));
  c.push(path.join(repoRoot, "target", "release", EXE));
  // scripts/torch-env.sh and the helpers' shared target dir.
  c.push(path.join(env["HOME"] ?? os.homedir(), ".cache", "tradelab", "target", "release", EXE));
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
    throw new TradelabError(
      `the trainer binary tradelab-train is not built (looked in ${trainBinaryCandidates(env).join(", ")}). ` +
        "Run `npm run build:train` (installs pip torch 2.11.0 once, then builds crates/train), or set TRADELAB_TRAIN_BIN.",
    );
  }
  return found;
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
  const env = { ...process.env, ...o.env };
  const bin = locateTrainBinary(env);
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
