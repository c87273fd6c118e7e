#!/usr/bin/env node
/**
 * A loopback fake exchange serving real bars from a data directory, for offline tests and strategy
 * work. Binance (/api/v3), Binance.US (/us/api/v3), Binance USD-M futures incl. funding (/fapi/v1),
 * Alpaca (/v2/assets, /v1beta3/crypto/us/bars).
 *
 *   node scripts/fake-exchange.mjs --port 8765 --data ../shared/data
 *   npx tradelab data download --exchange binance --symbols BTC/USDT --interval 1h \
 *       --since 2025-01-01 --until 2025-02-01 --base-url http://127.0.0.1:8765 --store /tmp/d
 *
 * Options: --port P (0 = any free port), --host H, --data DIR, --now TIME (the server's clock: later
 * bars are not served, the bar containing it is served partial/open), --speed X (with --now: the clock
 * runs at X times real time, e.g. 3600 = an hour a second, for paper replays), --max-limit N (page cap),
 * --restricted (Binance global answers HTTP 451). Needs the built package (npm run build).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8765" },
    host: { type: "string", default: "127.0.0.1" },
    data: { type: "string", default: process.env.TRADELAB_SHARED_DATA ?? path.resolve(here, "../../shared/data") },
    now: { type: "string" },
    speed: { type: "string" },
    "max-limit": { type: "string" },
    restricted: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write("usage: node scripts/fake-exchange.mjs [--port 8765] [--host 127.0.0.1] [--data ../shared/data] [--now TIME] [--speed X] [--max-limit N] [--restricted]\n");
  process.exit(0);
}

let lib;
let testkit;
try {
  lib = await import("../ts/dist/index.js");
  testkit = await import("../ts/dist/testkit/index.js");
} catch (e) {
  process.stderr.write(`error: the tradelab package is not built (${e.message}); run npm run build first\n`);
  process.exit(1);
}
const { parseTime } = lib;
const { startFakeExchange } = testkit;

const opts = { dataDir: path.resolve(values.data), port: Number(values.port), host: values.host, restricted: values.restricted };
if (values.now) opts.now = parseTime(values.now, "--now");
if (values.speed) opts.speed = Number(values.speed);
if (values["max-limit"]) opts.maxLimit = Number(values["max-limit"]);
const fx = await startFakeExchange(opts);
process.stdout.write(`fake exchange listening on ${fx.url} (data: ${opts.dataDir})\n`);
if (fx.markets.spot.length === 0 && fx.markets.funding.length === 0) {
  process.stderr.write(`warning: no freqtrade-style feather files (BTC_USDT-1h.feather, ...) found under ${opts.dataDir}: every market is empty\n`);
}
process.stdout.write(`spot: ${fx.markets.spot.join(", ")}\nperpetuals: ${fx.markets.perpetual.join(", ")}\nfunding: ${fx.markets.funding.join(", ")}\n`);
process.stdout.write(`use: tradelab data download --base-url ${fx.url} ...   (Ctrl-C to stop)\n`);

const stop = async () => {
  await fx.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
