// Prints the N-API overhead table from run.sh's JSON files; the last line is the largest share
// (the backtest's in-process share, the sweep's cross-process one).
import { readFileSync } from "node:fs";

const [dir, reps, ...spans] = process.argv.slice(2);
const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));
const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(["window", "work", "rust s", "addon s", "library s", "addon share", "library share", "in-process share"].join("\t"));
let max = -Infinity;
for (const span of spans) {
  const r = read(`rust-${span}.json`);
  const n = read(`node-${span}.json`);
  for (const [w, lib] of [["backtest", "backtestLib"], ["sweep", "sweepLib"]]) {
    const share = (n[w] - r[w]) / n[w];
    // The backtest's in-process share (same call, no cross-process noise) is the figure; the
    // sweep reports no such split, so its cross-process share stands.
    const inProc = w === "backtest" ? n.backtestInProcess : undefined;
    max = Math.max(max, inProc ?? share);
    console.log([span, w, r[w].toFixed(4), n[w].toFixed(4), n[lib].toFixed(4), pct(share), pct((n[lib] - r[w]) / n[lib]), inProc === undefined ? "-" : pct(inProc)].join("\t"));
  }
}
console.log(`share = (node - rust) / node, best of ${reps} each, in two processes (a negative share is noise: the crossing costs less than the run-to-run spread); in-process share = 1 - engineSeconds / wall of the same addon call, median of ${reps}`);
console.log(`napi_overhead_max=${pct(max)}`);
