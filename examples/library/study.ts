/**
 * A TPE study over an EMA crossover's parameters on the bundled sample's train split (never the
 * locked test window), recorded in a run registry with an Optuna-compatible journal beside it.
 * Run by ts/test/examples-library.test.ts.
 */
import path from "node:path";
import { parseStudyConfig, runStudy } from "tradelab";

export async function main(store: string, dir: string): Promise<{ trials: number; best: number | null; params: Record<string, unknown> | null }> {
  const config = parseStudyConfig(
    {
      name: "ema-sol-example",
      direction: "maximize",
      nTrials: 12,
      sampler: { kind: "tpe", nStartupTrials: 4 },
      seed: 7,
      objective: {
        kind: "backtest",
        symbol: "SOL/USDT",
        interval: "1h",
        split: "train",
        metric: "sortino",
        strategy: { kind: "emaCross", fast: 12, slow: 26 },
      },
      space: { fast: { type: "int", low: 2, high: 24 }, slow: { type: "int", low: 30, high: 200, log: true } },
    },
    dir,
  );
  const r = await runStudy(config, { store, registry: path.join(dir, "runs.sqlite"), concurrency: 2 });
  const best = r.summary.best;
  console.log(`${r.summary.complete} trials (${r.summary.pruned} pruned) in ${r.seconds.toFixed(2)} s; best train Sortino ${best?.value?.toFixed(3)} at ${JSON.stringify(best?.params)}; journal ${r.journal}`);
  return { trials: r.summary.complete, best: best?.value ?? null, params: best?.params ?? null };
}
