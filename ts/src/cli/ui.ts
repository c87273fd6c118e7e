/** Terminal helpers: tables, progress bars, JSON mode, config files. Progress goes to stderr only. */
import cliProgress from "cli-progress";
import Table from "cli-table3";
import { readFileSync } from "node:fs";
import { TradelabError } from "../errors.js";

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Colours only on a terminal, and never with NO_COLOR set. */
const color = Boolean(process.stdout.isTTY) && !process.env["NO_COLOR"];
const style = color ? { head: ["cyan"], border: ["grey"] } : { head: [], border: [] };

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style });
  for (const r of rows) t.push(r.map((c) => String(c)));
  return t.toString();
}

/** Key/value table for one record. */
export function kvTable(rows: [string, string | number][]): string {
  const t = new Table({ style: { ...style, head: [] } });
  for (const [k, v] of rows) t.push({ [k]: String(v) });
  return t.toString();
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function isoMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "-" : new Date(ms).toISOString().replace(".000Z", "Z");
}

export interface Bar {
  update(done: number, total: number): void;
  stop(): void;
}

/** A progress bar on stderr; silent when stderr is not a terminal or output is JSON. */
export function progressBar(label: string, enabled: boolean): Bar {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      if (total <= 0) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(Math.min(done, total));
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/**
 * A JSON config file as an object: a parse error, a non-object, a key outside `allowed` (a typo
 * such as "gird") or a missing `required` key is an error naming the file.
 */
export function readConfigFile(file: string, allowed: readonly string[], required: readonly string[]): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new TradelabError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TradelabError(`${file}: expected a JSON object`);
  const c = v as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new TradelabError(`${file}: unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")} (allowed: ${allowed.join(", ")})`);
  for (const k of required) if (c[k] === undefined) throw new TradelabError(`${file}: needs "${k}"`);
  return c;
}
