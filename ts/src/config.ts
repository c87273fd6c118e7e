import path from "node:path";

/** Default store directory: `--store`, else `TRADELAB_STORE`, else `./tradelab-data`. */
export function resolveStoreDir(explicit?: string): string {
  const dir = explicit ?? process.env["TRADELAB_STORE"] ?? "tradelab-data";
  return path.resolve(dir);
}
