/**
 * Loads the N-API addon through the napi-rs loader `bindings/node/index.cjs`: a checkout's local
 * build (`npm run build:native`) when present, else the per-platform package
 * (`tradelab-linux-x64-gnu`, an optionalDependency of the published package; the published package
 * ships no `.node` file). Everything else imports the addon through this module.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type * as Addon from "../../bindings/node/index.cjs";

const require = createRequire(import.meta.url);

function load(): typeof Addon {
  try {
    return require("../../bindings/node/index.cjs") as typeof Addon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const checkout = existsSync(new URL("../../Cargo.toml", import.meta.url));
    const how = checkout
      ? "Run `npm run build:native` (needs cargo) in the tradelab checkout."
      : `Its prebuilt binary ships in the optional dependency tradelab-${process.platform}-${process.arch}-gnu; ` +
        "reinstall tradelab without --omit=optional / --no-optional (prebuilt: linux x64 glibc only).";
    throw new Error(`tradelab native addon not found (${msg}). ${how}`, { cause: e });
  }
}

export const addon: typeof Addon = load();
export type { BarArrays } from "../../bindings/node/index.cjs";
