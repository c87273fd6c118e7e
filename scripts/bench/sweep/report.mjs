// Prints the benchmark's summary and its final machine-readable line.
import { readFileSync } from "node:fs";

const [tlPath, vbtPath, kernelLine] = process.argv.slice(2);
const tl = JSON.parse(readFileSync(tlPath, "utf8"));
const vb = JSON.parse(readFileSync(vbtPath, "utf8"));
const ratio = vb.wall / tl.wall;
const perCore = /bar_evals_per_sec_per_core=([0-9.e+]+)/.exec(kernelLine ?? "")?.[1] ?? "nan";
console.log(`tradelab ${tl.wall.toFixed(3)} s vs vectorbt ${vb.wall.toFixed(3)} s on ${tl.sets} sets x ${tl.bars} bars`);
console.log(`final equity max relative difference over all ${vb.sets} sets: ${vb.max_rel_diff_all.toExponential(3)}`);
console.log(`bar_evals_per_sec_per_core=${perCore} ratio_vs_vectorbt=${ratio.toFixed(2)}`);
