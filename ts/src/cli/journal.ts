/**
 * `tradelab journal add|list|show|study|verdict`: the run journal (seed 004) in the run registry.
 * Entries name recorded runs; verdicts are measured from a run's stored metrics against the
 * study's thresholds on its split, never typed in.
 */
import { Command, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { TradelabError } from "../errors.js";
import { journalMarkdown, openJournal, ruleText, type ThresholdSpec, type Verdict } from "../registry/journal.js";
import { isoMs, printJson, table } from "./ui.js";

const registryOption = () => new Option("--registry <file>", "run registry file (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)");

function splitIds(s: string): string[] {
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

/** `--thresholds '{"sharpe":">=1"}'` or a JSON file holding that object. */
function readThresholds(arg: string): ThresholdSpec {
  const text = arg.trim().startsWith("{") ? arg : existsSync(arg) ? readFileSync(arg, "utf8") : null;
  if (text === null) throw new TradelabError(`--thresholds: '${arg}' is neither a JSON object nor an existing file`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TradelabError(`--thresholds: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TradelabError('--thresholds: expected an object like {"sharpe":">=1","maxDrawdown":"<=0.2"}');
  return v as ThresholdSpec;
}

function verdictTable(v: Verdict): string {
  return (
    table(
      ["metric", "rule", "measured", "pass"],
      v.checks.map((c) => [c.metric, `${c.op} ${c.threshold}`, String(Number(c.measured.toPrecision(6))), c.pass ? "yes" : "NO"]),
    ) + "\n"
  );
}

function addCommand(): Command {
  return new Command("add")
    .description("record a journal entry: hypothesis / what ran (run ids) / what I saw / what's next")
    .requiredOption("--study <name>", "study the entry belongs to")
    .requiredOption("--hypothesis <text>", "what the runs test")
    .requiredOption("--runs <ids>", "comma-separated run ids or unique prefixes (must be recorded: `tradelab runs list`)")
    .option("--saw <text>", "what I saw")
    .option("--next <text>", "what's next")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { study: string; hypothesis: string; runs: string; saw?: string; next?: string; registry?: string; json?: boolean }) => {
      const e = await openJournal(o.registry).add({
        study: o.study,
        hypothesis: o.hypothesis,
        runs: splitIds(o.runs),
        ...(o.saw !== undefined ? { saw: o.saw } : {}),
        ...(o.next !== undefined ? { next: o.next } : {}),
      });
      if (o.json) return printJson(e);
      process.stdout.write(`journal entry ${e.id} in study '${e.study}': ${e.runs.length} run(s) ${e.runs.join(", ")}\n`);
    });
}

function listCommand(): Command {
  return new Command("list")
    .description("journal entries, newest first")
    .option("--study <name>", "only this study's entries")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { study?: string; registry?: string; json?: boolean }) => {
      const j = openJournal(o.registry);
      const entries = await j.entries(o.study);
      if (o.json) return printJson(entries);
      if (entries.length === 0) return void process.stdout.write(o.study ? `no journal entries in study '${o.study}'\n` : "no journal entries yet\n");
      const studies = await j.show(o.study);
      const verdictsOf = (study: string, runs: string[]) =>
        (studies.find((s) => s.name === study)?.verdicts ?? [])
          .filter((v) => runs.includes(v.runId))
          .map((v) => `${v.verdict} (${v.split})`)
          .join(", ") || "-";
      const short = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);
      process.stdout.write(
        table(
          ["entry", "created (UTC)", "study", "hypothesis", "runs", "verdicts"],
          entries.map((e) => [e.id, isoMs(e.createdAt).slice(0, 16).replace("T", " "), e.study, short(e.hypothesis.replace(/\s+/g, " ")), e.runs.join("\n"), verdictsOf(e.study, e.runs)]),
        ) + "\n",
      );
    });
}

function showCommand(): Command {
  return new Command("show")
    .description("the journal as markdown (seed 004's shape): hypothesis / what ran / what I saw / what's next / verdict")
    .option("--study <name>", "only this study")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { study?: string; registry?: string; json?: boolean }) => {
      const studies = await openJournal(o.registry).show(o.study);
      if (o.json) return printJson(studies);
      process.stdout.write(journalMarkdown(studies));
    });
}

function studyCommand(): Command {
  return new Command("study")
    .description("configure a study's verdict thresholds and split (frozen once it has a test verdict); without --thresholds, print them")
    .requiredOption("--name <name>", "study name")
    .option("--thresholds <json|file>", 'metric -> "<op><number>", e.g. \'{"sharpe":">=1","maxDrawdown":"<=0.2","annualisedReturn":">=0.10"}\' (maxDrawdown is a positive fraction), or a JSON file')
    .option("--split <name>", "split the verdicts are measured on (train, val, test, ...)", "val")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { name: string; thresholds?: string; split: string; registry?: string; json?: boolean }) => {
      const j = openJournal(o.registry);
      if (o.thresholds === undefined) {
        const s = (await j.show(o.name))[0]?.study;
        if (!s) throw new TradelabError(`study '${o.name}' has no thresholds configured: pass --thresholds`, { code: "JOURNAL_NO_STUDY" });
        if (o.json) return printJson(s);
        return void process.stdout.write(`study '${s.name}': ${ruleText(s)}\n`);
      }
      const s = await j.setStudy(o.name, o.split, readThresholds(o.thresholds));
      if (o.json) return printJson(s);
      process.stdout.write(`study '${s.name}': ${ruleText(s)}\n`);
    });
}

function verdictCommand(): Command {
  return new Command("verdict")
    .description("measure a run against its study's thresholds on the study's split and record VALIDATED/REJECTED (a test verdict: once per study)")
    .requiredOption("--study <name>", "study whose thresholds judge the run")
    .requiredOption("--run <id>", "run id or unique prefix")
    .addOption(registryOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { study: string; run: string; registry?: string; json?: boolean }) => {
      const v = await openJournal(o.registry).verdict(o.study, o.run);
      if (o.json) return printJson(v);
      process.stdout.write(verdictTable(v) + `${v.verdict}: run ${v.runId} on ${v.runSplit ?? v.split} (study '${v.study}', split ${v.split})\n`);
    });
}

export function journalCommands(): Command[] {
  return [
    new Command("journal")
      .description("the run journal (seed 004): hypotheses, the runs that tested them, what I saw, what's next, measured verdicts")
      .addCommand(addCommand())
      .addCommand(listCommand())
      .addCommand(showCommand())
      .addCommand(studyCommand())
      .addCommand(verdictCommand()),
  ];
}
