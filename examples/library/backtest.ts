/**
 * A backtest of a built-in strategy on the bundled sample store, from the library.
 *
 * Run by ts/test/examples-library.test.ts.
 */
import { backtest, openStore } from "tradelab";

export async function main(store: string): Promise<{ trades: number; totalReturn: number; label: string }> {
  const info = await openStore(store).info("SOL/USDT", "1h");
  const r = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 12, slow: 26 } });
  console.log(`${info.rows} bars · ${r.strategyLabel} · ${r.assumptions.text}`);
  console.log(`return ${(r.metrics.totalReturn * 100).toFixed(2)}% · sortino ${r.metrics.sortino.toFixed(2)} · ${r.metrics.tradeCount} trades`);
  return { trades: r.metrics.tradeCount, totalReturn: r.metrics.totalReturn, label: r.assumptions.text };
}
