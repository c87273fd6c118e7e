/** `tradelab select`: the multi-asset selector with shared cash, one trade at a time (seed §7). */
import { Command, Option } from "commander";
import { readFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "../errors.js";
import { openRegistry } from "../registry/index.js";
import { selectBacktest, type SelectConfig, type SelectResult } from "../select/index.js";
import { assumptionsLine, metricRows } from "./sim.js";
import { isoMs, kvTable, printJson, table } from "./ui.js";

const KEYS = ["symbols", "interval", "store", "from", "to", "params", "actions", "forecast", "edge", "maxPositions", "cooldownBars", "selectFillableOnly"];
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

function readConfig(file: string): SelectConfig {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new TradelabError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TradelabError(`${file}: expected a JSON object`);
  const c = v as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new TradelabError(`${file}: unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")} (allowed: ${KEYS.join(", ")})`);
  for (const k of ["symbols", "actions", "forecast", "edge"]) if (c[k] === undefined) throw new TradelabError(`${file}: needs "${k}"`);
  if (!Array.isArray(c.symbols) || c.symbols.length === 0) throw new TradelabError(`${file}: "symbols" must be a non-empty list`);
  return c as unknown as SelectConfig;
}

export function selectText(r: SelectResult, window: string): string {
  const held = r.instruments.map((x) => [x.symbol, x.trades, x.roundTrips, pct(x.winRate), x.pnl.toFixed(2), pct(x.exposure), x.fees.toFixed(2)]);
  return (
    `${r.symbols.join(", ")} ${r.interval} · selector: ${r.selector} · ${r.source} · ${window} ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} steps)\n` +
    assumptionsLine(r.label) +
    "\n" +
    kvTable(metricRows(r.metrics)) +
    "\n" +
    table(["symbol", "trades", "round trips", "win rate", "pnl", "time held", "fees"], held) +
    `\n${r.steps} timestamps × ${r.symbols.length} symbols in ${r.seconds.toFixed(2)} s\n`
  );
}

export function selectCommand(): Command {
  return new Command("select")
    .description("multi-asset selector: one shared cash balance goes into the best-edge trade across symbols each bar (seed 001's selector on the engine)")
    .requiredOption("--config <file>", "selector config JSON (see examples/select-*.json)")
    .option("--store <dir>", "bar store directory (overrides the config)")
    .addOption(new Option("--split <name>", "run on a named split of the stored data (test: locked, one look, globally)").choices(["train", "val", "test"]))
    .option("--i-know-test-is-burned", "permit a second look at a test window; the result is labelled burned")
    .option("--registry <file>", "run registry to record into and holding the test lock (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print machine-readable JSON (with the equity curve)")
    .addHelpText(
      "after",
      `
Example (examples/select-crypto.json):
  { "symbols": ["BTC/USDT", "ETH/USDT", "LINK/USDT", "SOL/USDT"], "interval": "1h",
    "params": { "decisionLag": 1, "makerFee": 0.001, "takerFee": 0.001, "maxHoldBars": 24 },
    "actions": { "kind": "band", "buyOffset": 0.004, "sellOffset": 0.006, "buyFrac": 1, "sellFrac": 1 },
    "forecast": { "model": "ewma-vol", "horizon": 1 },
    "edge": { "mode": "high_low", "riskWeight": 0.5, "minEdge": 0.0005 },
    "maxPositions": 1, "cooldownBars": 0 }
Each bar: exits rest at each held symbol's sell limit; while a slot is free, the candidate with the
highest edge >= minEdge (ties by symbol name) gets a buy limit. Candidates and forecasts are
decisionLag bars old. actions: a rule strategy, {"kind": "actions", "files": {SYM: FILE}}, or
{"kind": "policy", "checkpoints": {SYM: DIR} | {"*": DIR}}. edge.mode: high_low, high or close.
"selectFillableOnly": true is the seed's OPTIMISTIC default (entries filtered by the bar they
fill on), labelled as such.`,
    )
    .action(async (o: { config: string; store?: string; split?: "train" | "val" | "test"; iKnowTestIsBurned?: boolean; registry?: string; record: boolean; json?: boolean }) => {
      const config = readConfig(o.config);
      const registry = openRegistry(o.registry).path;
      const r = await selectBacktest(config, {
        baseDir: path.dirname(path.resolve(o.config)),
        ...(o.store ? { store: o.store } : {}),
        ...(o.split ? { split: o.split, registry } : {}),
        lockRegistry: registry,
        ...(o.iKnowTestIsBurned ? { acknowledgeBurned: true } : {}),
      });
      const window = r.split?.label ?? (config.from !== undefined || config.to !== undefined ? "custom" : "full");
      const run = o.record
        ? await openRegistry(o.registry).record({
            kind: "backtest",
            symbols: r.symbols,
            interval: r.interval,
            split: window,
            window: { first: r.first, last: r.last },
            assumptions: r.label,
            config: { select: config, configFile: path.resolve(o.config), selector: r.selector, source: r.source },
            dataHash: r.dataHash,
            metrics: { ...r.metrics, perSymbol: r.instruments },
            artifacts: {},
            notes: `selector: ${r.selector}`,
          })
        : undefined;
      if (o.json) return printJson({ ...r, ...(run ? { runId: run.id } : {}) });
      process.stdout.write(selectText(r, window) + (run ? `recorded run ${run.id} in ${registry} (tradelab runs show ${run.id})\n` : ""));
    });
}
