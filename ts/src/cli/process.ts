/**
 * Process-level guards of the CLI: secrets redacted from every byte written to stdout/stderr,
 * EPIPE (`tradelab ... | head -1`) treated as a normal end, and SIGINT/SIGTERM removing the temp
 * files of writes in flight before exiting 130/143.
 */
import { configuredSecrets, redact } from "../redact.js";

type Write = typeof process.stdout.write;

function redactingWrite(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const secrets = configuredSecrets();
  const wrapped = (chunk: unknown, ...rest: unknown[]): boolean => {
    let out = chunk;
    if (typeof chunk === "string") out = redact(chunk, secrets);
    else if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk).toString("utf8");
      const r = redact(text, secrets);
      if (r !== text) out = r;
    }
    return original(out, ...rest);
  };
  stream.write = wrapped as unknown as Write;
}

function quietOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    // The reader went away (`| head`): stop as Unix tools do, without a stack trace.
    if (e.code === "EPIPE") process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    throw e;
  });
}

/** Installs the guards; `cleanup` removes in-flight temp files (the native addon's). */
export function installProcessGuards(cleanup: () => void): void {
  redactingWrite(process.stdout);
  redactingWrite(process.stderr);
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    process.once(sig, () => {
      try {
        cleanup();
      } finally {
        process.exit(code);
      }
    });
  }
}
