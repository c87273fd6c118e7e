/** `tradelab data ...`: import, info, list and check the bar store. */
import { Command, Option } from "commander";
import { TradelabError } from "../errors.js";
import { inferDatasetFromFileName } from "../naming.js";
import { openStore } from "../store.js";
import { INTERVALS, type DatasetInfo, type ImportReport, type OnConflict } from "../types.js";
import { formatBytes, isoMs, kvTable, printJson, progressBar, table } from "./ui.js";

const storeOption = () =>
  new Option("--store <dir>", "bar store directory (default: $TRADELAB_STORE or ./tradelab-data)");

function gapsText(info: DatasetInfo): string {
  const g = info.gaps;
  if (g.count === 0) return "none";
  const l = g.longest;
  return `${g.count} gap(s), ${g.missing_bars} bar(s) missing; longest ${l ? `${l.missing} bar(s) after ${isoMs(l.after)}` : "-"}`;
}

function infoRows(info: DatasetInfo): [string, string | number][] {
  return [
    ["symbol", info.symbol],
    ["interval", info.interval],
    ["rows", info.rows],
    ["first", info.firstIso ?? "-"],
    ["last", info.lastIso ?? "-"],
    ["gaps", gapsText(info)],
    ["columns", ["ts", "open", "high", "low", "close", "volume", info.hasTrades ? "trades" : "", info.hasVwap ? "vwap" : ""].filter(Boolean).join(",")],
    ["sources", [...new Set(info.sources.map((s) => s.source))].join(", ") || "-"],
    ["file", `${info.path} (${formatBytes(info.bytes)})`],
  ];
}

function printImport(r: ImportReport): void {
  const verb = r.written ? "imported" : "unchanged";
  process.stdout.write(
    `${verb}: ${r.file} (${r.format}) -> ${r.info.symbol} ${r.info.interval}: ` +
      `${r.rowsIn} read, ${r.rowsAdded} added, ${r.rowsUnchanged} unchanged` +
      (r.rowsReplaced ? `, ${r.rowsReplaced} replaced` : "") +
      (r.rowsKept ? `, ${r.rowsKept} conflicting kept` : "") +
      `; ${r.rowsTotal} stored\n`,
  );
  process.stdout.write(kvTable(infoRows(r.info)) + "\n");
  if (r.info.gaps.count > 0) {
    const shown = r.info.gaps.first.slice(0, 5);
    process.stdout.write(
      `gaps (first ${shown.length} of ${r.info.gaps.count}):\n` +
        shown.map((g) => `  ${g.missing} bar(s) missing between ${isoMs(g.after)} and ${isoMs(g.before)}`).join("\n") +
        "\n",
    );
  }
}

export function dataCommand(): Command {
  const data = new Command("data").description("import, inspect and validate stored bars");

  data
    .command("import")
    .description("import bar files (CSV, Feather/Arrow IPC, Parquet, Binance kline CSV) into the store")
    .argument("<files...>", "files to import, in order")
    .option("--symbol <symbol>", "market symbol, e.g. BTC/USDT (guessed from freqtrade-style file names)")
    .addOption(new Option("--interval <interval>", "bar interval (guessed from the file name)").choices([...INTERVALS]))
    .addOption(storeOption())
    .addOption(
      new Option("--on-conflict <policy>", "when a bar differs from the stored bar at the same time")
        .choices(["error", "replace", "keep"])
        .default("error"),
    )
    .option("--source <label>", "source label recorded with the bars (default file:<name>)")
    .option("--json", "print machine-readable JSON")
    .addHelpText(
      "after",
      "\nEvery file is validated first (NaN/inf, high/low vs open/close, negative values, unsorted,\n" +
        "duplicate or misaligned timestamps); on any error nothing is written. Re-importing the same\n" +
        "file changes nothing.\n\nExample:\n  tradelab data import BTC_USDT-1h.feather --symbol BTC/USDT --interval 1h",
    )
    .action(async (files: string[], o: { symbol?: string; interval?: string; store?: string; onConflict: OnConflict; source?: string; json?: boolean }) => {
      const store = openStore(o.store);
      const reports: ImportReport[] = [];
      for (const file of files) {
        const guess = inferDatasetFromFileName(file);
        const symbol = o.symbol ?? guess.symbol;
        const interval = o.interval ?? guess.interval;
        if (!symbol) throw new TradelabError(`${file}: cannot guess the symbol from the file name; pass --symbol`);
        if (!interval) throw new TradelabError(`${file}: cannot guess the interval from the file name; pass --interval`);
        const bar = progressBar(`import ${symbol} ${interval}`, !o.json);
        try {
          const r = await store.import(file, {
            symbol,
            interval,
            onConflict: o.onConflict,
            ...(o.source ? { source: o.source } : {}),
            onProgress: (p) => bar.update(p.done, p.total),
          });
          bar.stop();
          reports.push(r);
          if (!o.json) printImport(r);
        } finally {
          bar.stop();
        }
      }
      if (o.json) printJson(files.length === 1 ? reports[0] : reports);
    });

  data
    .command("info")
    .description("rows, first/last bar, gaps and sources of a dataset (all datasets without --symbol)")
    .option("--symbol <symbol>", "market symbol, e.g. BTC/USDT")
    .addOption(new Option("--interval <interval>", "bar interval").choices([...INTERVALS]).default("1h"))
    .addOption(storeOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { symbol?: string; interval: string; store?: string; json?: boolean }) => {
      const store = openStore(o.store);
      if (o.symbol) {
        const info = await store.info(o.symbol, o.interval);
        if (o.json) printJson(info);
        else process.stdout.write(kvTable(infoRows(info)) + "\n");
        return;
      }
      const infos: DatasetInfo[] = [];
      for (const k of await store.list()) infos.push(await store.info(k.symbol, k.interval));
      if (o.json) return printJson(infos);
      if (infos.length === 0) {
        process.stdout.write(`no datasets in ${store.dir}\n`);
        return;
      }
      process.stdout.write(
        table(
          ["symbol", "interval", "rows", "first", "last", "gaps", "size"],
          infos.map((i) => [i.symbol, i.interval, i.rows, i.firstIso ?? "-", i.lastIso ?? "-", i.gaps.count, formatBytes(i.bytes)]),
        ) + "\n",
      );
    });

  data
    .command("list")
    .description("list datasets in the store")
    .addOption(storeOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { store?: string; json?: boolean }) => {
      const list = await openStore(o.store).list();
      if (o.json) return printJson(list);
      process.stdout.write(table(["symbol", "interval"], list.map((k) => [k.symbol, k.interval])) + "\n");
    });

  data
    .command("check")
    .description("re-validate every dataset in the store; exits 1 if any is bad")
    .addOption(storeOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { store?: string; json?: boolean }) => {
      const store = openStore(o.store);
      const entries = await store.check();
      const bad = entries.filter((e) => !e.ok);
      if (o.json) printJson({ store: store.dir, ok: bad.length === 0, datasets: entries });
      else {
        process.stdout.write(
          table(
            ["symbol", "interval", "rows", "gaps", "status"],
            entries.map((e) => [e.symbol, e.interval, e.rows, e.gaps ? e.gaps.count : "-", e.ok ? "ok" : `BAD: ${e.error ?? ""}`]),
          ) + "\n",
        );
        process.stdout.write(`${entries.length} dataset(s), ${bad.length} bad\n`);
      }
      if (bad.length > 0) process.exitCode = 1;
    });

  return data;
}
