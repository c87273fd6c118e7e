/** Paths used by tests: the repo root, the built CLI and the shared market data next to the repo. */
import { existsSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const cliPath = path.join(repoRoot, "ts/dist/cli.js");

export function sharedData(): string {
  const p = process.env["TRADELAB_SHARED_DATA"] ?? path.resolve(repoRoot, "../shared/data");
  if (!existsSync(p)) throw new Error(`shared market data not found at ${p} (set TRADELAB_SHARED_DATA)`);
  return p;
}

export function tempDir(prefix = "tradelab-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
