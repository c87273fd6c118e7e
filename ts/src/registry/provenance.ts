/**
 * Where a run's numbers came from: the code version and a hash of the data files it read.
 * The data hash is sha256 over the bytes of each bars.parquet used (in the order given, each
 * prefixed by its store-relative name), so the same store contents always give the same hash
 * and any rewrite of a dataset changes it. Cheap: the sample store hashes in milliseconds.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { resolveStoreDir } from "../config.js";
import { fromNative, TradelabError } from "../errors.js";
import { addon } from "../native.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
let cachedVersion: string | undefined;

/** `<package.json version>+<git short HEAD>` (`+unknown` outside a git checkout). */
export function codeVersion(): string {
  if (cachedVersion) return cachedVersion;
  let version = "0.0.0";
  try {
    version = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version?: string }).version ?? version;
  } catch {
    // keep the placeholder: an installed copy without package.json is still usable
  }
  let commit = "unknown";
  // Only a checkout has its own .git: an installed copy (node_modules/tradelab) must not record
  // the commit of the project that installed it.
  if (existsSync(path.join(repoRoot, ".git"))) {
    try {
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, stdio: ["ignore", "pipe", "ignore"] }).toString().trim() || commit;
    } catch {
      // git missing
    }
  }
  cachedVersion = `${version}+${commit}`;
  return cachedVersion;
}

/** `sha256:<hex>` over the files' names (as given) and bytes. */
export function hashFiles(files: { name: string; file: string }[]): string {
  const h = createHash("sha256");
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f.file);
    } catch (e) {
      throw new TradelabError(`data hash: cannot read ${f.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    h.update(`${f.name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return `sha256:${h.digest("hex")}`;
}

/**
 * Hash of the stored bars of these datasets, computed in Rust (`Store::data_hash`: the store
 * knows its own paths, perpetuals' `BTC_USDT_USDT` included). Backtest, sweep, portfolio and
 * harvest results already carry theirs as `dataHash`.
 */
export function storeDataHash(datasets: { symbol: string; interval: string }[], store?: string): string {
  try {
    return addon.storeDataHash(resolveStoreDir(store), datasets);
  } catch (e) {
    throw fromNative(e);
  }
}
