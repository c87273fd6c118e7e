/**
 * A progress-log table like the seed system's hand-kept logs
 * (`| Timestamp (UTC) | Run | Symbol(s) | Eval window | total_return | sortino | Notes |`), plus the
 * assumptions column every reported number must carry (lag, fill, fees).
 */
import type { SimLabel } from "../sim.js";
import type { RunRecord } from "./index.js";

/** The label's text, with OPTIMISTIC stated once whether or not the text already carries it. */
export function labelText(l: SimLabel): string {
  return l.optimistic && !l.text.includes("OPTIMISTIC") ? `${l.text} · OPTIMISTIC` : l.text;
}

export type ProgressLogFormat = "markdown" | "json";

export interface ProgressLogRow {
  timestamp: string;
  run: string;
  symbols: string;
  evalWindow: string;
  totalReturn: number | null;
  sortino: number | null;
  assumptions: string;
  notes: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function metric(m: Record<string, unknown>, ...names: string[]): number | null {
  for (const n of names) {
    const v = m[n];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

export function progressRows(runs: RunRecord[]): ProgressLogRow[] {
  return [...runs]
    .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
    .map((r) => ({
      timestamp: new Date(r.createdAt).toISOString().slice(0, 16).replace("T", " "),
      run: `${r.kind} ${r.id}`,
      symbols: r.symbols.join(", "),
      evalWindow: [r.split ?? "", r.window ? `${day(r.window.first)}..${day(r.window.last)}` : ""].filter(Boolean).join(" "),
      totalReturn: metric(r.metrics, "totalReturn", "total_return"),
      sortino: metric(r.metrics, "sortino"),
      assumptions: r.assumptions ? labelText(r.assumptions) : "",
      notes: r.notes ?? "",
    }));
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const fmt = (x: number | null, d: number) => (x === null ? "" : x.toFixed(d));

/** Oldest run first, as a log reads. */
export function progressLog(runs: RunRecord[], format: ProgressLogFormat = "markdown"): string {
  const rows = progressRows(runs);
  if (format === "json") return JSON.stringify(rows, null, 2) + "\n";
  const head = ["Timestamp (UTC)", "Run", "Symbol(s)", "Eval window", "total_return", "sortino", "Assumptions", "Notes"];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of rows) {
    const cells = [r.timestamp, r.run, r.symbols, r.evalWindow, fmt(r.totalReturn, 4), fmt(r.sortino, 2), r.assumptions, r.notes];
    lines.push(`| ${cells.map(cell).join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}
