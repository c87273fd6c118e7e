// Node side of the N-API overhead bench: the same requests as `napi_baseline`, through the raw
// addon (conversion + the crossing) and through the typed library (`backtest`, `sweep`: plus the
// TS layer's own work). Best of REPS wall times as JSON on stdout.
import { addon } from "../../../ts/dist/native.js";
import { backtest, sweep } from "../../../ts/dist/index.js";

const [btJson, windowJson, symbol, specJson, repsArg] = process.argv.slice(2);
const reps = Number(repsArg);
const bt = JSON.parse(btJson);
const win = JSON.parse(windowJson);
const spec = JSON.parse(specJson);

async function best(f) {
  for (let k = 0; k < 3; k++) await f(); // warm-up (JIT, page cache, the libuv pool)
  let b = Infinity;
  for (let k = 0; k < reps; k++) {
    const t0 = process.hrtime.bigint();
    await f();
    b = Math.min(b, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return b;
}

// In-process: the addon states the seconds spent in the use case (bars, engine, report), so
// 1 - engine / wall is the crossing's share of the same call (median over REPS calls).
async function inProcessShare() {
  const shares = [];
  for (let k = 0; k < reps; k++) {
    const t0 = process.hrtime.bigint();
    const r = await addon.backtest(btJson);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    shares.push(1 - r.engineSeconds / wall);
  }
  shares.sort((a, b) => a - b);
  return shares[Math.floor(shares.length / 2)];
}

const out = {
  backtest: await best(() => addon.backtest(btJson)),
  backtestInProcess: await inProcessShare(),
  sweep: await best(() => addon.sweep({ windowJson, symbol, specJson })),
  backtestLib: await best(() => backtest({ store: bt.store, symbol, interval: bt.interval, from: bt.from, to: bt.to, strategy: bt.strategy, params: bt.params })),
  sweepLib: await best(() => sweep({ symbol, interval: win.interval, from: win.from, to: win.to, base: spec.base, strategy: spec.strategy, grid: spec.grid }, { store: win.store })),
};
console.log(JSON.stringify(out));
