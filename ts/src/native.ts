/**
 * Loads the N-API addon built from `bindings/node` (never downloaded: `npm install` builds it
 * from source with @napi-rs/cli). Everything else imports the addon through this module.
 */
import { createRequire } from "node:module";
import type * as Addon from "../../bindings/node/index.cjs";

const require = createRequire(import.meta.url);

function load(): typeof Addon {
  try {
    return require("../../bindings/node/index.cjs") as typeof Addon;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `tradelab native addon is not built (${msg}). Run \`npm run build:native\` (needs cargo) in the tradelab checkout.`,
    );
  }
}

export const addon: typeof Addon = load();
export type { BarArrays } from "../../bindings/node/index.cjs";
