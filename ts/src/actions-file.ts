/**
 * Reads precomputed actions (e.g. from a model) for `tradelab backtest --strategy <file>`.
 *
 * CSV with a header, or JSON (an array of objects), with columns/keys `ts` (or `timestamp`/`date`:
 * epoch ms or ISO-8601), `buy_price`, `sell_price`, `buy_frac`, `sell_frac` (camelCase accepted).
 * Row `ts` is the open time of the bar after whose close the action was decided; with decision
 * lag 1 it can fill on the next bar. Empty cells mean "no order" for that side.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "./errors.js";

export interface ActionArrays {
  ts: Float64Array;
  buyPrice: Float64Array;
  sellPrice: Float64Array;
  buyFrac: Float64Array;
  sellFrac: Float64Array;
}

const COLS = {
  ts: ["ts", "timestamp", "date", "time"],
  buyPrice: ["buy_price", "buyprice"],
  sellPrice: ["sell_price", "sellprice"],
  buyFrac: ["buy_frac", "buyfrac"],
  sellFrac: ["sell_frac", "sellfrac"],
} as const;

type Key = keyof typeof COLS;

function parseTs(v: unknown, where: string): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  const s = String(v ?? "").trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw new TradelabError(`${where}: field \`ts\`: cannot parse '${s}' as a timestamp`);
  return ms;
}

function parseNum(v: unknown, where: string, field: string): number {
  if (v === null || v === undefined || v === "") return Number.NaN; // no order
  const x = typeof v === "number" ? v : Number(String(v).trim());
  if (Number.isNaN(x)) throw new TradelabError(`${where}: field \`${field}\`: cannot parse '${String(v)}' as a number`);
  return x;
}

function build(rows: Record<string, unknown>[], file: string, rowLabel: (i: number) => string): ActionArrays {
  const first = rows[0];
  if (!first) throw new TradelabError(`${file}: no action rows`);
  const keys = Object.keys(first);
  const find = (k: Key): string => {
    const name = keys.find((c) => (COLS[k] as readonly string[]).includes(c.toLowerCase().replace(/[^a-z_]/g, "")) || c === k);
    if (!name) throw new TradelabError(`${file}: missing column \`${COLS[k][0]}\` (columns: ${keys.join(", ")})`);
    return name;
  };
  const names = { ts: find("ts"), buyPrice: find("buyPrice"), sellPrice: find("sellPrice"), buyFrac: find("buyFrac"), sellFrac: find("sellFrac") };
  const out: ActionArrays = {
    ts: new Float64Array(rows.length),
    buyPrice: new Float64Array(rows.length),
    sellPrice: new Float64Array(rows.length),
    buyFrac: new Float64Array(rows.length),
    sellFrac: new Float64Array(rows.length),
  };
  rows.forEach((r, i) => {
    const where = `${file}: ${rowLabel(i)}`;
    out.ts[i] = parseTs(r[names.ts], where);
    out.buyPrice[i] = parseNum(r[names.buyPrice], where, "buy_price");
    out.sellPrice[i] = parseNum(r[names.sellPrice], where, "sell_price");
    out.buyFrac[i] = parseNum(r[names.buyFrac], where, "buy_frac") || 0;
    out.sellFrac[i] = parseNum(r[names.sellFrac], where, "sell_frac") || 0;
  });
  return out;
}

export function readActionsFile(file: string): ActionArrays {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TradelabError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (path.extname(file).toLowerCase() === ".json") {
    let rows: unknown;
    try {
      rows = JSON.parse(text);
    } catch (e) {
      throw new TradelabError(`${file}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!Array.isArray(rows)) throw new TradelabError(`${file}: expected a JSON array of action objects`);
    return build(rows as Record<string, unknown>[], file, (i) => `row ${i + 1}`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(",").map((v, j) => [header[j] ?? `col${j}`, v.trim()])));
  return build(rows, file, (i) => `row ${i + 1} (line ${i + 2})`);
}
