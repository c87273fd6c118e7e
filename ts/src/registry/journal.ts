/**
 * The run journal (seed 004's "Run Journal"), kept in the run registry: per study, entries of
 * hypothesis / what ran (recorded run ids) / what I saw / what's next, and VALIDATED/REJECTED
 * verdicts measured in Rust (crates/registry/src/journal.rs) from a run's stored metrics against
 * the study's thresholds, on the study's split. A study gets one test-split verdict, ever.
 */
import { native } from "../errors.js";
import { addon } from "../native.js";
import { resolveRegistryPath } from "../config.js";
import { labelText } from "./progress-log.js";
import type { RunRecord } from "./index.js";

export type ThresholdOp = ">=" | ">" | "<=" | "<";

export interface Threshold {
  metric: string;
  op: ThresholdOp;
  value: number;
}

/** A study's verdict rule. */
export interface Study {
  name: string;
  /** The split every verdict is measured on (`val`, `test`, ...). */
  split: string;
  thresholds: Threshold[];
  createdAt: number;
  updatedAt: number;
}

export interface JournalEntryInput {
  study: string;
  hypothesis: string;
  /** Run ids or unique prefixes; each must name a recorded run. Stored as full ids. */
  runs: string[];
  saw?: string;
  next?: string;
  /** Epoch ms; now when omitted. */
  createdAt?: number;
}

export interface JournalEntry {
  id: number;
  study: string;
  createdAt: number;
  hypothesis: string;
  runs: string[];
  saw: string | null;
  next: string | null;
}

/** One threshold as measured on the run. */
export interface VerdictCheck {
  metric: string;
  op: ThresholdOp;
  threshold: number;
  measured: number;
  pass: boolean;
}

export interface Verdict {
  id: number;
  study: string;
  runId: string;
  /** The study's split it was judged on. */
  split: string;
  /** The run's own split label (e.g. `val (selection window (best of 4))`). */
  runSplit: string | null;
  verdict: "VALIDATED" | "REJECTED";
  checks: VerdictCheck[];
  createdAt: number;
}

/** One study: its rule (if configured), entries and verdicts newest first, and the runs they name. */
export interface StudyJournal {
  name: string;
  study: Study | null;
  entries: JournalEntry[];
  verdicts: Verdict[];
  runs: Record<string, RunRecord>;
}

/**
 * Thresholds as `metric -> "<op><number>"`, e.g. `{ sharpe: ">=1", maxDrawdown: "<=0.2" }`.
 * `maxDrawdown` is a positive fraction (0.305 = a 30.5 % fall): "no worse than -20 %" is `"<=0.2"`.
 */
export type ThresholdSpec = Record<string, string>;

/** The journal of one registry file (`--registry FILE`, `$TRADELAB_REGISTRY`, `./tradelab-runs.sqlite`). */
export class RunJournal {
  readonly path: string;
  constructor(file?: string) {
    this.path = resolveRegistryPath(file);
  }

  async add(input: JournalEntryInput): Promise<JournalEntry> {
    return (await native(() => addon.journalAdd(this.path, JSON.stringify(input)))) as JournalEntry;
  }

  async entries(study?: string): Promise<JournalEntry[]> {
    return (await native(() => addon.journalEntries(this.path, study))) as JournalEntry[];
  }

  /** Sets a study's thresholds and split; refused once the study has its test verdict. */
  async setStudy(name: string, split: string, thresholds: ThresholdSpec): Promise<Study> {
    return (await native(() => addon.journalSetStudy(this.path, name, split, JSON.stringify(thresholds)))) as Study;
  }

  /** Measures the run (id or unique prefix) against the study's thresholds and records the verdict. */
  async verdict(study: string, run: string): Promise<Verdict> {
    return (await native(() => addon.journalVerdict(this.path, study, run))) as Verdict;
  }

  async show(study?: string): Promise<StudyJournal[]> {
    return (await native(() => addon.journalShow(this.path, study))) as StudyJournal[];
  }
}

export function openJournal(file?: string): RunJournal {
  return new RunJournal(file);
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}%`;
const num = (x: number) => String(Number(x.toPrecision(4)));
const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const oneLine = (s: string) => s.replace(/\r?\n+/g, " ").trim();

function finite(m: Record<string, unknown>, name: string): number | null {
  const v = m[name];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The headline metrics a journal line shows, in the backtest's order, where the run has them. */
export function keyMetrics(m: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (name: string, label: string, f: (x: number) => string) => {
    const v = finite(m, name);
    if (v !== null) parts.push(`${label} ${f(v)}`);
  };
  add("totalReturn", "return", pct);
  add("annualisedReturn", "annualised", pct);
  add("apr", "APR", pct);
  add("sharpe", "Sharpe", (x) => x.toFixed(2));
  add("sortino", "Sortino", (x) => x.toFixed(2));
  add("maxDrawdown", "max DD", (x) => `${(x * 100).toFixed(2)}%`);
  add("roundTrips", "round trips", String);
  add("tradeCount", "trades", String);
  return parts.length ? parts.join(", ") : "no headline metrics stored";
}

function runLine(id: string, r: RunRecord | undefined): string {
  if (!r) return `\`${id}\` (not in this registry)`;
  const where = [r.split ?? "no split", r.window ? `${day(r.window.first)}..${day(r.window.last)}` : ""].filter(Boolean).join(" ");
  const label = r.assumptions ? labelText(r.assumptions) : "assumptions not recorded";
  return `\`${r.id}\` ${r.kind} ${r.symbols.join(", ")} · ${where}: ${keyMetrics(r.metrics)} · ${label}`;
}

export function ruleText(s: Study): string {
  return `${s.thresholds.map((t) => `${t.metric} ${t.op} ${t.value}`).join(" · ")} on split \`${s.split}\``;
}

export function verdictText(v: Verdict): string {
  const checks = v.checks.map((c) => `${c.metric} ${num(c.measured)} ${c.pass ? "✓" : "✗"} (need ${c.op} ${c.threshold})`).join(", ");
  const split = v.runSplit && v.runSplit !== v.split ? `${v.split}: ${v.runSplit}` : v.split;
  return `**${v.verdict}** on ${split} — \`${v.runId}\`: ${checks} (${when(v.createdAt)} UTC)`;
}

/**
 * The journal as markdown in seed 004's shape: per study its verdict rule, then entries newest
 * first, each with hypothesis / what ran (runs with key metrics and assumptions) / what I saw /
 * what's next / verdict (the verdicts recorded for that entry's runs).
 */
export function journalMarkdown(studies: StudyJournal[]): string {
  const out: string[] = ["# Run journal", ""];
  if (studies.length === 0) out.push("No journal entries yet (`tradelab journal add`).", "");
  for (const s of studies) {
    out.push(`## ${s.name}`, "");
    out.push(s.study ? `Verdict rule: ${ruleText(s.study)} (set ${when(s.study.updatedAt)} UTC).` : "Verdict rule: none configured (`tradelab journal study`).", "");
    const attached = new Set<number>();
    for (const e of s.entries) {
      out.push(`### ${when(e.createdAt)} UTC · entry ${e.id}`, "", oneLine(e.hypothesis), "");
      out.push("- What ran");
      for (const id of e.runs) out.push(`  - ${runLine(id, s.runs[id])}`);
      out.push("- What I saw", `  - ${e.saw ? oneLine(e.saw) : "(not written)"}`);
      out.push("- What's next", `  - ${e.next ? oneLine(e.next) : "(not written)"}`);
      const vs = s.verdicts.filter((v) => e.runs.includes(v.runId));
      out.push("- Verdict");
      if (vs.length === 0) out.push("  - none recorded (`tradelab journal verdict`)");
      for (const v of vs) {
        attached.add(v.id);
        out.push(`  - ${verdictText(v)}`);
      }
      out.push("");
    }
    const loose = s.verdicts.filter((v) => !attached.has(v.id));
    if (loose.length) {
      out.push("### Verdicts on runs no entry names", "");
      for (const v of loose) out.push(`- ${verdictText(v)}`, `  - ${runLine(v.runId, s.runs[v.runId])}`);
      out.push("");
    }
  }
  return out.join("\n");
}
