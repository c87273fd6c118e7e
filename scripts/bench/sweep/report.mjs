// Prints the benchmark's summary and its final machine-readable line.
import { readFileSync } from "node:fs";

const [tlPath, vbtPath, kernelPath] = process.argv.slice(2);
const tl = JSON.parse(readFileSync(tlPath, "utf8"));
const vb = JSON.parse(readFileSync(vbtPath, "utf8"));
const ratio = vb.wall / tl.wall;
// Single-thread throughput of the limit-order (band) case from the kernel_speed example.
const kernel = readFileSync(kernelPath, "utf8");
const perCore = /band[^\n]*1 thread\(s\)[^\n]*→ ([0-9.e+]+) bar-evaluations\/s/.exec(kernel)?.[1] ?? "nan";
console.log(`tradelab ${tl.wall.toFixed(3)} s vs vectorbt ${vb.wall.toFixed(3)} s on ${tl.sets} sets x ${tl.bars} bars`);
console.log(`final equity max relative difference over all ${vb.sets} sets: ${vb.max_rel_diff_all.toExponential(3)}`);
// Per core: tradelab's wall time x its thread count against vectorbt's single thread.
const perCoreRatio = vb.wall / (tl.wall * tl.threads);
console.log(`wall-clock ratio ${ratio.toFixed(2)}x on ${tl.threads} threads; per core ${perCoreRatio.toFixed(2)}x (tradelab ${tl.wall.toFixed(3)} s x ${tl.threads} threads vs vectorbt ${vb.wall.toFixed(3)} s x 1)`);
console.log(`bar_evals_per_sec_per_core=${perCore} ratio_vs_vectorbt=${ratio.toFixed(2)} ratio_vs_vectorbt_per_core=${perCoreRatio.toFixed(2)}`);
