/** `tradelab features build` and `tradelab forecast build|eval`. */
import { Command, Option } from "commander";
import { readFileSync } from "node:fs";
import { TradelabError } from "../errors.js";
import { buildFeatureSet, forecastBuild, forecastEval, forecasterNames, type FeatureSpec, type ForecastEvalResult } from "../features.js";
import { INTERVALS } from "../types.js";
import { isoMs, kvTable, printJson, progressBar, table } from "./ui.js";

function list(v: string, flag: string): string[] {
  const xs = v.split(",").map((s) => s.trim()).filter(Boolean);
  if (!xs.length) throw new TradelabError(`${flag}: empty list`);
  return xs;
}

/** Horizons are u32 bar counts in the core: range-checked here, never wrapped (2^32 would become 0). */
const MAX_HORIZON = 4_294_967_295;

function numbers(v: string, flag: string, integer: boolean): number[] {
  return list(v, flag).map((s) => {
    const x = Number(s);
    if (!Number.isFinite(x) || (integer && (!Number.isInteger(x) || x < 1))) throw new TradelabError(`${flag}: '${s}' is not ${integer ? "a whole number >= 1" : "a number"}`);
    if (integer && x > MAX_HORIZON) throw new TradelabError(`${flag}: '${s}' is too large (allowed: whole numbers 1 ..= ${MAX_HORIZON})`);
    return x;
  });
}

/** `--quantiles`: increasing, inside (0, 1), and including the median 0.5 (as the help says). */
function quantileList(v: string): number[] {
  const q = numbers(v, "--quantiles", false);
  if (!q.includes(0.5)) throw new TradelabError(`--quantiles: ${q.join(",")} lacks 0.5: the list must include the median (e.g. 0.1,0.5,0.9)`);
  return q;
}

function readSpec(file: string | undefined): FeatureSpec {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TradelabError(`--spec ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return JSON.parse(text) as FeatureSpec;
  } catch (e) {
    throw new TradelabError(`--spec ${file}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

interface FeaturesFlags {
  symbol: string;
  interval: string;
  store?: string;
  spec?: string;
  forecastModel?: string;
  horizons: string;
  from?: string;
  to?: string;
  out?: string;
  json?: boolean;
}

function featuresCommand(): Command {
  const cmd = new Command("features").description("causal features (row t uses bars <= t; NaN where a window is warming up or spans a gap)");
  cmd
    .command("build")
    .description("compute the feature set for stored bars; optionally write it as Parquet (schema in the footer)")
    .requiredOption("--symbol <symbol>", "market symbol, e.g. BTC/USDT")
    .addOption(new Option("--interval <interval>", "bar interval").choices([...INTERVALS]).default("1h"))
    .option("--store <dir>", "bar store directory (default: $TRADELAB_STORE or ./tradelab-data)")
    .option("--spec <file>", "FeatureSpec JSON (camelCase; omitted fields take the standard hourly set)")
    .option("--forecast-model <name>", "add forecast features from this forecaster (cached in the store)")
    .option("--horizons <list>", "forecast horizons in bars (with --forecast-model)", "1,4,24")
    .option("--from <date>", "keep rows from this bar (features are computed on all stored bars first)")
    .option("--to <date>", "keep rows before this bar")
    .option("--out <file.parquet>", "write the feature table here")
    .option("--json", "print machine-readable JSON")
    .action(async (o: FeaturesFlags) => {
      const spec = readSpec(o.spec);
      if (o.forecastModel) spec.forecast = { model: o.forecastModel, horizons: numbers(o.horizons, "--horizons", true) };
      const r = await buildFeatureSet(o.symbol, o.interval, spec, {
        ...(o.store ? { store: o.store } : {}),
        ...(o.from ? { from: o.from } : {}),
        ...(o.to ? { to: o.to } : {}),
        ...(o.out ? { out: o.out } : {}),
      });
      const { table: _t, ...summary } = r;
      if (o.json) {
        printJson(summary);
        return;
      }
      process.stdout.write(
        kvTable([
          ["dataset", `${r.symbol} ${r.interval}`],
          ["rows", `${r.rows} (${isoMs(r.first)} .. ${isoMs(r.last)})`],
          ["rows with every feature valid", r.validRows],
          ["features", r.schema.names.length],
          ["schema", `v${r.schema.version} ${r.schema.hash}`],
          ...(r.out ? ([["written", r.out]] as [string, string][]) : []),
        ]) +
          "\n" +
          r.schema.names.join(", ") +
          "\n",
      );
    });
  return cmd;
}

interface ForecastFlags {
  symbols: string;
  interval: string;
  store?: string;
  model: string;
  horizons: string;
  quantiles: string;
  from?: string;
  to?: string;
  evalFraction: string;
  json?: boolean;
}

const pct = (x: number, d = 3) => (Number.isFinite(x) ? `${x.toFixed(d)}%` : "-");
const frac = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "-");

function common(c: Command): Command {
  return c
    .requiredOption("--symbols <list>", "comma-separated symbols, e.g. BTC/USDT,ETH/USDT")
    .addOption(new Option("--interval <interval>", "bar interval").choices([...INTERVALS]).default("1h"))
    .option("--store <dir>", "bar store directory (default: $TRADELAB_STORE or ./tradelab-data)")
    .option("--horizons <list>", "horizons in bars", "1,4,24")
    .option("--quantiles <list>", "quantiles (increasing, inside (0,1), must include 0.5)", "0.1,0.5,0.9")
    .option("--json", "print machine-readable JSON");
}

function forecastCommand(): Command {
  const cmd = new Command("forecast").description("quantile forecasts keyed by issue time (issued at the close of bar t, about bars t+1..t+h)");
  common(cmd.command("build"))
    .description("build or refresh the forecast cache: <store>/<SYMBOL>/<interval>/forecasts/<model>_h<H>.parquet")
    .option("--model <name>", `forecaster (${forecasterNames().join(", ")})`, "ewma-vol")
    .action(async (o: ForecastFlags) => {
      const symbols = list(o.symbols, "--symbols");
      const horizons = numbers(o.horizons, "--horizons", true);
      const quantiles = quantileList(o.quantiles);
      const bar = progressBar("forecast build", !o.json);
      const results = [];
      for (const [i, s] of symbols.entries()) {
        results.push(await forecastBuild(s, o.interval, { model: o.model, horizons, quantiles, ...(o.store ? { store: o.store } : {}) }));
        bar.update(i + 1, symbols.length);
      }
      bar.stop();
      if (o.json) {
        printJson(results);
        return;
      }
      const rows = results.flatMap((r) => r.files.map((f) => [r.symbol, r.model, `h${f.horizon}`, f.rows, f.reusedRows, f.computedRows, f.rebuilt ?? "-"]));
      process.stdout.write(table(["symbol", "model", "horizon", "rows", "reused", "computed", "rebuilt because"], rows) + "\n");
    });
  common(cmd.command("eval"))
    .description("MAE% of close p50 vs the realised close and p_lo..p_hi coverage per symbol and horizon on a stated window")
    .option("--model <list>", `forecasters to compare: auto (naive with the transform of lowest validation MAE, chosen on the window before the evaluated one), ${forecasterNames().join(", ")}`, "auto")
    .option("--from <date>", "evaluate issue times from this bar (inclusive)")
    .option("--to <date>", "evaluate up to this bar (exclusive; targets must be realised before it)")
    .option("--eval-fraction <x>", "without --from/--to: evaluate the last fraction of the bars", "0.2")
    .action(async (o: ForecastFlags) => {
      const symbols = list(o.symbols, "--symbols");
      const models = list(o.model, "--model");
      const horizons = numbers(o.horizons, "--horizons", true);
      const quantiles = quantileList(o.quantiles);
      const evalFraction = Number(o.evalFraction);
      if (!(evalFraction > 0 && evalFraction < 1)) throw new TradelabError(`--eval-fraction: '${o.evalFraction}' must lie in (0, 1)`);
      const bar = progressBar("forecast eval", !o.json);
      const results: ForecastEvalResult[] = [];
      let done = 0;
      for (const s of symbols) {
        for (const m of models) {
          results.push(
            await forecastEval(s, o.interval, {
              model: m,
              horizons,
              quantiles,
              evalFraction,
              ...(o.store ? { store: o.store } : {}),
              ...(o.from ? { from: o.from } : {}),
              ...(o.to ? { to: o.to } : {}),
            }),
          );
          bar.update(++done, symbols.length * models.length);
        }
      }
      bar.stop();
      if (o.json) {
        printJson(results);
        return;
      }
      const lines: string[] = [];
      for (const r of results) {
        const sel = r.transformSelection ? ` · transform ${r.transformSelection.transform} (chosen on ${isoMs(r.transformSelection.validation.first)} .. ${isoMs(r.transformSelection.validation.last)})` : "";
        lines.push(`${r.symbol} ${r.interval} · ${r.model}${sel} · eval ${r.window.rule}: ${isoMs(r.window.first)} .. ${isoMs(r.window.last)} (${r.window.rows} issue rows)`);
      }
      const first = results[0]?.horizons[0];
      const band = first ? `p${Math.round(first.loQ * 100)}-p${Math.round(first.hiQ * 100)}` : "interval";
      const rows = results.flatMap((r) =>
        r.horizons.map((h) => [r.symbol, r.model, `h${h.horizon}`, h.rows, pct(h.maePct), pct(h.naiveMaePct), `${frac(h.coverage)} / ${frac(h.nominal)}`, frac(h.coverageHigh), frac(h.coverageLow), pct(h.widthPct, 2)]),
      );
      process.stdout.write(
        lines.join("\n") +
          "\n" +
          table(["symbol", "model", "horizon", "rows", "MAE% close p50", "MAE% no-change", `close ${band} coverage / nominal`, "high cov.", "low cov.", "width"], rows) +
          "\n",
      );
    });
  return cmd;
}

export function featureCommands(): Command[] {
  return [featuresCommand(), forecastCommand()];
}
