/** `tradelab walk-forward`: choose per fold in-sample, apply out of sample, chain the results. */
import { Command, Option } from "commander";
import path from "node:path";
import { openRegistry } from "../registry/index.js";
import { strategyLabel } from "../sim.js";
import { walkForward, type WalkForwardConfig, type WalkForwardResult } from "../walk-forward.js";
import { assumptionsLine } from "./sim.js";
import { isoMs, printJson, readConfigFile, table } from "./ui.js";

const CONFIG_KEYS = ["symbol", "interval", "store", "from", "to", "folds", "base", "strategy", "grid"];
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
const day = (ms: number) => isoMs(ms).slice(0, 16);


function readConfig(file: string): WalkForwardConfig {
  return readConfigFile(file, CONFIG_KEYS, ["symbol", "folds", "strategy"]) as unknown as WalkForwardConfig;
}

/** The table a person reads: one row per fold, then the chained out-of-sample line. */
export function walkForwardText(r: WalkForwardResult): string {
  const rows = r.folds.map((f) => [
    f.index,
    `${day(f.inSample.from)} .. ${day(f.inSample.to)} (${f.inSample.bars})`,
    `${day(f.oos.from)} .. ${day(f.oos.to)} (${f.oos.bars})`,
    f.candidate ?? (f.strategy ? strategyLabel(f.strategy) : "-"),
    `lag ${f.params.decisionLag} ${f.params.fillRule.kind === "cross" ? `cross ${num(f.params.fillRule.buffer * 1e4, 1)}bp` : "touch"} x${f.params.intensity}`,
    num(f.inSampleMetrics.sortino),
    pct(f.oosMetrics.totalReturn),
    num(f.oosMetrics.sortino),
    num(f.oosRank),
    f.overfit ? num(f.overfit.deflated.dsr) : "-",
  ]);
  const o = r.oos;
  return (
    `${r.symbol} ${r.interval} · ${r.source} · span ${r.span} ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.bars} bars)\n` +
    `base ${assumptionsLine(r.baseLabel)}\n` +
    table(["fold", "in-sample (selection window)", "out-of-sample", "chosen", "sim", "IS sortino", "OOS return", "OOS sortino", "OOS rank", "IS DSR"], rows) +
    `\nout-of-sample, chained (${r.folds.length} folds, ${o.bars} bars; never seen by any choice): return ${pct(o.totalReturn)}, ` +
    `sortino ${num(o.sortino)}, sharpe ${num(o.sharpe)}, max dd ${pct(o.maxDrawdown)}, trades ${r.oosTrades}, fees ${num(r.oosFees)}; ` +
    `annualised ${pct(o.annualisedReturn)}${o.annualisedMeaningful ? "" : " (not meaningful: under 3 months of bars)"}; P(Sharpe > 0) ${num(r.oosPsr)}\n` +
    `${r.text}\n` +
    (r.notes.length ? `${r.notes.map((n) => `note: ${n}`).join("\n")}\n` : "") +
    `OOS rank: the chosen trial's out-of-sample Sortino rank among the honest trials (1 = best, 0.5 = median). IS DSR: deflated Sharpe of the in-sample choice.\n`
  );
}

export function walkForwardCommand(): Command {
  return new Command("walk-forward")
    .description("walk forward: each fold chooses its parameters on its in-sample part and is scored on the out-of-sample part after it; the out-of-sample parts, chained, are the result")
    .requiredOption("--config <file>", "walk-forward config JSON: { symbol, interval?, from?, to?, folds, base?, strategy, grid? }")
    .option("--store <dir>", "bar store directory (overrides the config)")
    .addOption(new Option("--split <name>", "walk over a named split of the stored data instead of from/to (test: locked, one look, globally)").choices(["train", "val", "test"]))
    .option("--i-know-test-is-burned", "permit a second look at a test window; the result is labelled burned")
    .option("--registry <file>", "run registry to record into and holding the test lock (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print machine-readable JSON (folds, curve)")
    .addHelpText(
      "after",
      `
Example config (examples/walk-forward-sol.json):
  { "symbol": "SOL/USDT", "interval": "1h",
    "folds": { "mode": "rolling", "inSampleDays": 60, "oosDays": 15, "purgeBars": 24, "embargoBars": 0 },
    "strategy": { "kind": "emaCross", "fast": 12, "slow": 26 },
    "grid": { "fast": [6, 12, 24], "slow": [48, 96, 192], "decisionLag": [0, 1] } }
folds.mode: "anchored" (in-sample from the first bar, growing) or "rolling" (the inSampleDays
before each out-of-sample window). purgeBars: bars between in-sample and out-of-sample, in
neither. embargoBars: bars between consecutive out-of-sample windows, scored in neither.
strategy may also be {"kind": "actions", "file": F} or {"kind": "policy", "checkpoint": DIR,
"epochs"?: [..]}: each epoch is a candidate per fold, with the grid's simulator axes (intensity,
priceOffsetPct, decisionLag, fillBuffer, ...). A policy's folds start out of sample at its
validation start (earlier folds are dropped: the weights trained on them) and stop at its test.
Without from/to the span ends where the test split starts; a span into the test window claims
the global test lock. Optimistic trials (lag 0, intrabar round trips) are never chosen.`,
    )
    .action(async (o: { config: string; store?: string; split?: "train" | "val" | "test"; iKnowTestIsBurned?: boolean; registry?: string; record: boolean; json?: boolean }) => {
      const config = readConfig(o.config);
      const registry = openRegistry(o.registry).path;
      const r = await walkForward(config, {
        baseDir: path.dirname(path.resolve(o.config)),
        ...(o.store ? { store: o.store } : {}),
        ...(o.split ? { split: o.split } : {}),
        registry,
        lockRegistry: registry,
        ...(o.iKnowTestIsBurned ? { acknowledgeBurned: true } : {}),
      });
      const run = o.record
        ? await openRegistry(o.registry).record({
            kind: "walk-forward",
            symbols: [r.symbol],
            interval: r.interval,
            split: r.span,
            window: { first: r.curveTs[0] ?? r.first, last: r.curveTs[r.curveTs.length - 1] ?? r.last },
            assumptions: r.baseLabel,
            config: { walkForward: config, configFile: path.resolve(o.config), source: r.source, folds: r.folds.map((f) => ({ index: f.index, inSample: f.inSample, oos: f.oos, trial: f.trial, candidate: f.candidate, strategy: f.strategy, params: f.params, oosRank: f.oosRank })) },
            dataHash: r.dataHash,
            metrics: { ...r.oos, tradeCount: r.oosTrades, roundTrips: r.oosRoundTrips, feesPaid: r.oosFees, folds: r.folds.length, trials: r.trials, pbo: r.pbo, oosPsr: r.oosPsr },
            artifacts: {},
            notes: `out-of-sample (chained over ${r.folds.length} folds, chosen per fold among ${r.trials} trials in-sample)`,
          })
        : undefined;
      if (o.json) return printJson({ ...r, ...(run ? { runId: run.id } : {}) });
      process.stdout.write(walkForwardText(r) + (run ? `recorded run ${run.id} in ${registry} (tradelab runs show ${run.id})\n` : ""));
    });
}
