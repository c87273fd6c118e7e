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
const t0 = process.hrtime.bigint();
const r = await sweep(config, { store });
const wall = Number(process.hrtime.bigint() - t0) / 1e9;
const finals = Object.fromEntries(r.rows.map((row) => [`${row.strategy.fast}/${row.strategy.slow}`, row.metrics.endEquity]));
writeFileSync(out, JSON.stringify({ wall, inner: r.seconds, sets: r.rows.length, bars: r.window.bars, threads: r.threads, barEvaluations: r.barEvaluations, finals }));
console.log(`tradelab: ${r.rows.length} sets x ${r.window.bars} bars in ${wall.toFixed(3)} s wall (${r.threads} threads)`);
