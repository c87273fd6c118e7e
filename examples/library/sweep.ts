/**
 * A grid sweep on the lockstep kernel (all cores) and the overfit check of its best row.
 * Run by ts/test/examples-library.test.ts.
 */
import { sweep } from "tradelab";

export async function main(store: string): Promise<{ rows: number; best: string | null }> {
  const r = await sweep(
    {
      symbol: "SOL/USDT",
      interval: "1h",
      strategy: { kind: "emaCross", fast: 12, slow: 26 },
      grid: { fast: [4, 8, 12, 24], slow: [48, 96, 168] },
    },
    { store },
  );
  const best = r.best ? `row ${r.best.index} (${r.best.selection}; ${r.best.label.text})` : null;
  console.log(`${r.rows.length} parameter sets in ${r.seconds.toFixed(3)} s on ${r.threads} threads; best (in-sample): ${best}`);
  return { rows: r.rows.length, best };
}
