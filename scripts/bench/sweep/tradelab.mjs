// tradelab side of the sweep benchmark: runs the grid through the library, writes timings and
// final equities (keyed "fast/slow") for the agreement check.
import { writeFileSync } from "node:fs";
import { sweep } from "../../../ts/dist/index.js";
import { CASH, FAST, FEE, SLACK, SLOW } from "./grid.mjs";

const [store, out] = process.argv.slice(2);
const config = {
  symbol: "BTC/USDT",
  interval: "1h",
  base: { decisionLag: 1, makerFee: FEE, takerFee: FEE, startingCash: CASH },
  strategy: { kind: "emaCross", fast: 2, slow: 50, slack: SLACK },
  grid: { fast: FAST, slow: SLOW },
};
await sweep(config, { store }); // warm-up (page cache, thread pool)
// Best of 3 timed runs (the Python side does the same), to damp noise from other processes.
let wall = Infinity;
let r;
for (let k = 0; k < 3; k++) {
  const t0 = process.hrtime.bigint();
  r = await sweep(config, { store });
  wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
}
const finals = Object.fromEntries(r.rows.map((row) => [`${row.strategy.fast}/${row.strategy.slow}`, row.metrics.endEquity]));
writeFileSync(out, JSON.stringify({ wall, inner: r.seconds, sets: r.rows.length, bars: r.window.bars, threads: r.threads, barEvaluations: r.barEvaluations, finals }));
console.log(`tradelab: ${r.rows.length} sets x ${r.window.bars} bars in ${wall.toFixed(3)} s wall, best of 3 (${r.threads} threads)`);
