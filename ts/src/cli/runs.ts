/** `tradelab runs list|show|compare|log`: the run registry from the command line. */
import { Command, Option } from "commander";
import { TradelabError } from "../errors.js";
import { environmentText, labelText, openRegistry, progressLog, RUN_KINDS, type ProgressLogFormat, type RunKind, type RunRecord } from "../registry/index.js";
import { isoMs, kvTable, printJson, table } from "./ui.js";

const registryOption = () => new Option("--registry <file>", "run registry file (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)");

function fmtMetric(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (v === null || v === undefined) return "-";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The headline metrics first, in the order the backtest prints them; the rest alphabetically. */
const HEADLINE = ["totalReturn", "annualisedReturn", "sortino", "sharpe", "maxDrawdown", "maxDrawdownBars", "calmar", "tradeCount", "roundTrips", "winRate", "exposure", "turnover", "feesPaid"];
function metricOrder(names: string[]): string[] {
  const rank = (n: string) => (HEADLINE.includes(n) ? HEADLINE.indexOf(n) : HEADLINE.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const windowText = (r: RunRecord) => (r.window ? `${day(r.window.first)}..${day(r.window.last)}` : "-");

function listCommand(): Command {
  return new Command("list")
    .description("recorded runs, newest first")
    .addOption(new Option("--kind <kind>", "only runs of this kind").choices([...RUN_KINDS]))
    .option("--symbol <symbol>", "only runs on this symbol")
    .option("--limit <n>", "at most n runs", "50")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { kind?: RunKind; symbol?: string; limit: string; registry?: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new TradelabError(`--limit: '${o.limit}' is not a whole number`);
      const runs = await openRegistry(o.registry).list({ ...(o.kind ? { kind: o.kind } : {}), ...(o.symbol ? { symbol: o.symbol } : {}), limit });
      if (o.json) return printJson(runs);
      if (runs.length === 0) return void process.stdout.write("no runs recorded yet\n");
      process.stdout.write(
        table(
          ["id", "kind", "created (UTC)", "symbols", "split", "window", "return", "sortino", "lag/fill"],
          runs.map((r) => [
            r.id,
            r.kind,
            isoMs(r.createdAt).slice(0, 16).replace("T", " "),
            r.symbols.join(","),
            r.split ?? "-",
            windowText(r),
            typeof r.metrics["totalReturn"] === "number" ? `${(r.metrics["totalReturn"] * 100).toFixed(2)}%` : "-",
            fmtMetric(r.metrics["sortino"]),
            r.assumptions ? `${r.assumptions.decisionLag}/${r.assumptions.fillRule}${r.assumptions.optimistic ? " OPTIMISTIC" : ""}` : "-",
          ]),
        ) + "\n",
      );
    });
}

function showCommand(): Command {
  return new Command("show")
    .description("one run: config, data hash, code version, metrics, artefacts")
    .argument("<id>", "run id or unique prefix")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (id: string, o: { registry?: string; json?: boolean }) => {
      const r = await openRegistry(o.registry).get(id);
      if (o.json) return printJson(r);
      const rows: [string, string][] = [
        ["id", r.id],
        ["kind", r.kind],
        ["created", isoMs(r.createdAt)],
        ["symbols", r.symbols.join(", ") || "-"],
        ["interval", r.interval ?? "-"],
        ["split / window", `${r.split ?? "-"} ${r.window ? `${isoMs(r.window.first)} .. ${isoMs(r.window.last)}` : ""}`],
        ["assumptions", r.assumptions ? `${labelText(r.assumptions)}${r.assumptions.warnings.length ? ` [${r.assumptions.warnings.join("; ")}]` : ""}` : "-"],
        ["data hash", r.dataHash ?? "-"],
        ["code version", r.codeVersion ?? "-"],
        ["environment", r.environment ? environmentText(r.environment) : "- (not recorded)"],
        ["parent", r.parent ?? "-"],
        ["notes", r.notes ?? "-"],
      ];
      for (const [k, v] of Object.entries(r.artifacts)) rows.push([`artefact ${k}`, v]);
      for (const k of metricOrder(Object.keys(r.metrics))) rows.push([`metric ${k}`, fmtMetric(r.metrics[k])]);
      process.stdout.write(kvTable(rows) + "\nconfig:\n" + JSON.stringify(r.config, null, 2) + "\n");
    });
}

function compareCommand(): Command {
  return new Command("compare")
    .description("several runs side by side, one row per numeric metric, then the environment fields where they differ")
    .argument("<ids...>", "run ids or unique prefixes")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (ids: string[], o: { registry?: string; json?: boolean }) => {
      const c = await openRegistry(o.registry).compare(ids);
      if (o.json) return printJson(c);
      const meta = (label: string, f: (r: RunRecord) => string): (string | number)[] => [label, ...c.runs.map(f)];
      process.stdout.write(
        table(
          ["", ...c.runs.map((r) => r.id)],
          [
            meta("kind", (r) => r.kind),
            meta("symbols", (r) => r.symbols.join(",")),
            meta("split", (r) => r.split ?? "-"),
            meta("window", windowText),
            meta("assumptions", (r) => (r.assumptions ? labelText(r.assumptions) : "-")),
            ...metricOrder(c.metrics.map((m) => m.metric)).map((name) => [name, ...(c.metrics.find((m) => m.metric === name)?.values ?? []).map(fmtMetric)]),
            ...c.environment.map((row) => [`env ${row.field}`, ...row.values.map((v) => v ?? "-")]),
          ],
        ) + "\n" + environmentNote(c.runs, c.sameEnvironment, c.environment.length),
      );
    });
}

/** Below the comparison: "same environment", or what differs / was not recorded. */
function environmentNote(runs: RunRecord[], same: boolean, differing: number): string {
  if (same) return "same environment\n";
  const missing = runs.filter((r) => !r.environment).map((r) => r.id);
  let text = differing
    ? `environments differ in ${differing} field${differing === 1 ? "" : "s"} (env rows above): backtests and sweeps are bit-identical across them, trained policies may not be (README, "Reproducibility")\n`
    : "";
  if (missing.length) text += `environment not recorded: ${missing.join(", ")}\n`;
  return text;
}

function logCommand(): Command {
  return new Command("log")
    .description("regenerate the progress-log table (oldest first): timestamp, run, symbols, eval window, total_return, sortino, assumptions, notes")
    .addOption(new Option("--format <format>", "output format").choices(["markdown", "json"]).default("markdown"))
    .addOption(new Option("--kind <kind>", "only runs of this kind").choices([...RUN_KINDS]))
    .option("--symbol <symbol>", "only runs on this symbol")
    .option("--parent <id>", "only this run and the runs derived from it (e.g. a sweep recorded with --record-rows: one row per parameter set)")
    .addOption(registryOption())
    .action(async (o: { format: ProgressLogFormat; kind?: RunKind; symbol?: string; parent?: string; registry?: string }) => {
      const reg = openRegistry(o.registry);
      let runs = await reg.list({ ...(o.kind ? { kind: o.kind } : {}), ...(o.symbol ? { symbol: o.symbol } : {}) });
      if (o.parent) {
        const parent = await reg.get(o.parent);
        runs = runs.filter((r) => r.id === parent.id || r.parent === parent.id);
      }
      process.stdout.write(progressLog(runs, o.format));
    });
}

export function runsCommands(): Command[] {
  const runs = new Command("runs")
    .description("the run registry: every backtest, sweep, train and eval run (SQLite; --registry FILE or $TRADELAB_REGISTRY)")
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(compareCommand())
    .addCommand(logCommand());
  return [runs];
}
