import path from "node:path";

/** Default store directory: `--store`, else `TRADELAB_STORE`, else `./tradelab-data`. */
export function resolveStoreDir(explicit?: string): string {
  const dir = explicit ?? process.env["TRADELAB_STORE"] ?? "tradelab-data";
  return path.resolve(dir);
}

/** `--registry FILE`, else `$TRADELAB_REGISTRY`, else `./tradelab-runs.sqlite` (absolute). */
export function resolveRegistryPath(explicit?: string): string {
  return path.resolve(explicit ?? process.env["TRADELAB_REGISTRY"] ?? "tradelab-runs.sqlite");
}
