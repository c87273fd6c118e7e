/**
 * The Chromium the browser tests drive: `$TRADELAB_CHROMIUM` (the only one tried when set; .ci/run
 * exports `$(command -v chromium)`), else Debian's paths. Null means skip, except under CI=true,
 * where a missing browser fails the test file instead of letting it pass silently.
 */
import { existsSync } from "node:fs";

export function chromiumPath(): string | null {
  const override = process.env["TRADELAB_CHROMIUM"];
  const candidates = override ? [override] : ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  const found = candidates.find((p) => existsSync(p)) ?? null;
  if (override && !found) throw new Error(`TRADELAB_CHROMIUM=${override}: no such file`);
  if (!found && process.env["CI"] === "true") {
    throw new Error(`CI=true and no chromium binary (looked at ${candidates.join(", ")}): set TRADELAB_CHROMIUM or apt-get install -y chromium`);
  }
  if (!found) {
    console.warn(`browser test SKIPPED: no chromium binary found (looked at ${candidates.join(", ")}). Install it (apt-get install -y chromium) or set TRADELAB_CHROMIUM.`);
  }
  return found;
}
