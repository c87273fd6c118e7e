/**
 * Reads precomputed actions (e.g. from a model) for `tradelab backtest --strategy <file>`.
 *
 * CSV with a header, JSON (an array of objects), or Parquet (numeric columns), with columns/keys `ts` (or `timestamp`/`date`:
 * epoch ms or ISO-8601), `buy_price`, `sell_price`, `buy_frac`, `sell_frac` (camelCase accepted).
 * Row `ts` is the open time of the bar after whose close the action was decided; with decision
 * lag 1 it can fill on the next bar. Empty cells mean "no order" for that side.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "./errors.js";
import { addon } from "./native.js";

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

/** Supported times, as for bar imports: 1970-01-01 .. 2100-01-01 (exclusive). */
const MAX_MS = 4_102_444_800_000;

/**
 * An epoch of unknown unit to ms by magnitude, the importer's rule (crates/core time.rs): seconds
 * below 1e11, ms below 1e14, µs below 1e17, else ns. Epoch seconds used to be read as ms (1970)
 * and every row dropped.
 */
function epochToMs(v: number): number {
  const a = Math.abs(v);
  if (a < 1e11) return v * 1000;
  if (a < 1e14) return v;
  if (a < 1e17) return Math.floor(v / 1000);
  return Math.floor(v / 1e6);
}

function parseTs(v: unknown, where: string): number {
  const s = String(v ?? "").trim();
  let ms: number;
  if (typeof v === "number" || /^-?\d+(\.\d+)?$/.test(s)) {
    const x = typeof v === "number" ? v : Number(s);
    if (!Number.isFinite(x) || !Number.isInteger(x)) throw new TradelabError(`${where}: field \`ts\`: '${s.slice(0, 40)}' is not a whole epoch`);
    ms = epochToMs(x);
  } else {
    ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(" ", "T")}Z`);
    if (Number.isNaN(ms)) throw new TradelabError(`${where}: field \`ts\`: cannot parse '${s.slice(0, 40)}' as a timestamp`);
  }
  if (!(ms >= 0 && ms < MAX_MS)) {
    throw new TradelabError(`${where}: field \`ts\`: '${s.slice(0, 40)}' is outside the supported range 1970-01-01 .. 2100-01-01 (epochs in s, ms, µs or ns, or ISO-8601)`);
  }
  return ms;
}

function parseNum(v: unknown, where: string, field: string): number {
  if (v === null || v === undefined || v === "") return Number.NaN; // no order
  const x = typeof v === "number" ? v : Number(String(v).trim());
  if (Number.isNaN(x)) throw new TradelabError(`${where}: field \`${field}\`: cannot parse '${String(v).slice(0, 40)}' as a number`);
  return x;
}

/** Prices: empty = no order, else finite and > 0. Fractions: empty = 0, else in [0, 1]. */
function checked(x: number, where: string, field: string, kind: "price" | "frac"): number {
  if (Number.isNaN(x)) return x;
  if (kind === "price" && !(Number.isFinite(x) && x > 0)) throw new TradelabError(`${where}: field \`${field}\`: ${x} is not a positive price (leave it empty for no order)`);
  if (kind === "frac" && !(x >= 0 && x <= 1)) throw new TradelabError(`${where}: field \`${field}\`: ${x} is not a fraction in [0, 1] (leave it empty or 0 for no order)`);
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
    out.buyPrice[i] = checked(parseNum(r[names.buyPrice], where, "buy_price"), where, "buy_price", "price");
    out.sellPrice[i] = checked(parseNum(r[names.sellPrice], where, "sell_price"), where, "sell_price", "price");
    out.buyFrac[i] = checked(parseNum(r[names.buyFrac], where, "buy_frac"), where, "buy_frac", "frac") || 0;
    out.sellFrac[i] = checked(parseNum(r[names.sellFrac], where, "sell_frac"), where, "sell_frac", "frac") || 0;
  });
  return out;
}

/** Parquet (e.g. `tradelab actions --out FILE.parquet`): numeric columns read in Rust, NaN = no order. */
function readParquetRows(file: string): Record<string, unknown>[] {
  let cols: { names: string[]; columns: Float64Array[] };
  try {
    cols = addon.readNumericParquet(file);
  } catch (e) {
    throw new TradelabError(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const n = cols.columns[0]?.length ?? 0;
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = {};
    cols.names.forEach((name, j) => {
      const v = cols.columns[j]?.[i];
      r[name] = v === undefined || Number.isNaN(v) ? "" : v;
    });
    rows.push(r);
  }
  return rows;
}

export function readActionsFile(file: string): ActionArrays {
  if (path.extname(file).toLowerCase() === ".parquet") return build(readParquetRows(file), file, (i) => `row ${i + 1}`);
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
