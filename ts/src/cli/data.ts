/** `tradelab data ...`: import, info, list and check the bar store. */
import { Command, Option } from "commander";
import { downloadBars, type DownloadReport } from "../download/bars.js";
import { EXCHANGES, type ExchangeId } from "../download/client.js";
import { downloadFunding, FUNDING_EXCHANGES, type FundingDownloadReport, type FundingExchangeId } from "../download/funding.js";
import { FundingStore, type FundingInfo } from "../download/funding-store.js";
import { parseTime, systemNow } from "../download/time.js";
import { statSync, type Stats } from "node:fs";
import { importVision } from "../download/vision.js";
import { TradelabError } from "../errors.js";
import { inferDatasetFromFileName } from "../naming.js";
import { openStore } from "../store.js";
import { toCcxtSymbol } from "../symbols.js";
import { INTERVALS, type DatasetInfo, type ImportReport, type IntervalName, type OnConflict } from "../types.js";
import { formatBytes, isoMs, kvTable, printJson, progressBar, table, type Bar } from "./ui.js";

const storeOption = () =>
  new Option("--store <dir>", "bar store directory (default: $TRADELAB_STORE or ./tradelab-data)");

/** A typo in `--store` must not look like an empty store. */
function requireStoreDir(dir: string): void {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    throw new TradelabError(`${dir}: store directory does not exist (check --store or TRADELAB_STORE)`);
  }
  if (!st.isDirectory()) throw new TradelabError(`${dir}: store path is not a directory`);
}

/** `--since`/`--until` must leave a window of closed bars: not in the future, since before until. */
function checkWindow(since: number | undefined, until: number | undefined): void {
  if (since !== undefined && until !== undefined && since >= until) {
    throw new TradelabError(`--since ${isoMs(since)} is not before --until ${isoMs(until)}: nothing to download`);
  }
  const now = systemNow();
  if (since !== undefined && since >= now) {
    throw new TradelabError(`--since ${isoMs(since)} is in the future (now is ${isoMs(now)}): there are no closed bars to download yet`);
  }
}

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

/** Notes (fallbacks, retries) go to stderr so stdout stays a clean table or JSON document. */
function note(message: string): void {
  process.stderr.write(`note: ${message}\n`);
}

function symbolList(list: string): string[] {
  const out = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.includes("/") ? s.toUpperCase() : toCcxtSymbol(s)));
  if (out.length === 0) throw new TradelabError("--symbols is empty");
  return out;
}

function wholeNumber(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new TradelabError(`${name} must be a whole number >= ${min}, not '${v}'`);
    return n;
  };
}

function gapLines(info: DatasetInfo, max = 5): string {
  const shown = info.gaps.first.slice(0, max);
  return shown.map((g) => `  ${g.missing} bar(s) missing between ${isoMs(g.after)} and ${isoMs(g.before)}`).join("\n");
}

/** Progress bars keyed by symbol, created on first use and stopped at the end. */
function barsBySymbol(verb: string, enabled: boolean) {
  const bars = new Map<string, Bar>();
  return {
    update(key: string, done: number, total: number) {
      let b = bars.get(key);
      if (!b) {
        b = progressBar(`${verb} ${key}`, enabled);
        bars.set(key, b);
      }
      b.update(done, total);
    },
    stopAll() {
      for (const b of bars.values()) b.stop();
    },
  };
}

function printDownload(r: DownloadReport): void {
  const rows = r.symbols.map((s) => [
    s.symbol,
    s.interval,
    s.exchange,
    s.ok ? (s.upToDate ? "up to date" : "ok") : "FAILED",
    s.barsFetched,
    s.barsAdded,
    s.openBarsDropped,
    s.info?.rows ?? 0,
    s.info?.firstIso ?? "-",
    s.info?.lastIso ?? "-",
    s.info ? gapsText(s.info) : "-",
  ]);
  process.stdout.write(table(["symbol", "interval", "venue", "status", "fetched", "added", "open dropped", "rows", "first", "last", "gaps"], rows) + "\n");
  for (const s of r.symbols) {
    if (s.resumedFrom !== null) process.stdout.write(`${s.symbol} ${s.interval}: resumed after the last stored bar, from ${isoMs(s.resumedFrom)}\n`);
    if (s.info && s.info.gaps.count > 0) {
      process.stdout.write(`gap report ${s.symbol} ${s.interval} (first ${Math.min(5, s.info.gaps.count)} of ${s.info.gaps.count}; fill them with --fill-gaps-from <exchange>):\n${gapLines(s.info)}\n`);
    } else if (s.info) process.stdout.write(`gap report ${s.symbol} ${s.interval}: no gaps\n`);
    if (s.gapFill) {
      const g = s.gapFill;
      process.stdout.write(`gap fill ${s.symbol} ${s.interval} from ${g.exchange}: ${g.missingBefore} missing in ${g.ranges} gap(s), ${g.filled} filled (recorded as ${g.source}), ${g.stillMissing} still missing\n`);
    }
  }
}

function fundingRows(i: FundingInfo): [string, string | number][] {
  return [
    ["symbol", i.symbol],
    ["events", i.rows],
    ["first", i.firstIso ?? "-"],
    ["last", i.lastIso ?? "-"],
    ["spacing", i.medianSpacingMs ? `${i.medianSpacingMs / 3_600_000} h (median), ${i.longPauses} longer pause(s)` : "-"],
    ["mean rate", i.meanRate === null ? "-" : `${(i.meanRate * 100).toFixed(4)} % per interval`],
    ["sources", [...new Set(i.sources.map((s) => s.source))].join(", ") || "-"],
    ["file", `${i.path} (${formatBytes(i.bytes)})`],
  ];
}

function printFunding(r: FundingDownloadReport): void {
  process.stdout.write(
    table(
      ["symbol", "status", "fetched", "added", "events", "first", "last"],
      r.symbols.map((s) => [s.symbol, s.ok ? (s.upToDate ? "up to date" : "ok") : "FAILED", s.eventsFetched, s.eventsAdded, s.info?.rows ?? 0, s.info?.firstIso ?? "-", s.info?.lastIso ?? "-"]),
    ) + "\n",
  );
}

function reportFailures(items: { symbol: string; ok: boolean; error: string | null }[]): void {
  const bad = items.filter((s) => !s.ok);
  for (const s of bad) process.stderr.write(`error: ${s.symbol}: ${s.error ?? "failed"}\n`);
  if (bad.length > 0) process.exitCode = 1;
}

interface NetOptions {
  baseUrl?: string;
  retries: number;
  timeout: number;
}

const netOptions = (c: Command): Command =>
  c
    .option("--base-url <url>", "root URL of a server laid out like scripts/fake-exchange.mjs (Binance /api/v3, Binance.US /us/api/v3, Binance futures /fapi/v1, Alpaca /v2 and /v1beta3); default: the real exchanges")
    .option("--retries <n>", "retries per request on timeouts, HTTP 5xx and 429 (exponential backoff)", wholeNumber("--retries", 0), 5)
    .option("--timeout <ms>", "per-request timeout in ms", wholeNumber("--timeout", 1), 10_000);

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
    .option("--force", "import even when the file name names another symbol or interval than --symbol/--interval")
    .option("--json", "print machine-readable JSON")
    .addHelpText(
      "after",
      "\nEvery file is validated first (NaN/inf, high/low vs open/close, negative values, unsorted,\n" +
        "duplicate or misaligned timestamps, times outside 1970..2100, bar spacing vs --interval);\n" +
        "on any error nothing is written. A file whose name names another symbol or interval\n" +
        "(ETH_USDT-1h.feather with --symbol BTC/USDT) is refused unless --force. Re-importing the\n" +
        "same file changes nothing.\n\nExample:\n  tradelab data import BTC_USDT-1h.feather --symbol BTC/USDT --interval 1h",
    )
    .action(async (files: string[], o: { symbol?: string; interval?: string; store?: string; onConflict: OnConflict; source?: string; force?: boolean; json?: boolean }) => {
      const store = openStore(o.store);
      // Resolve and check every file before writing any (a bad 2nd file must not leave the 1st written).
      const plan: { file: string; symbol: string; interval: string }[] = [];
      for (const file of files) {
        const guess = inferDatasetFromFileName(file);
        const symbol = o.symbol ?? guess.symbol;
        const interval = o.interval ?? guess.interval;
        if (!symbol) throw new TradelabError(`${file}: cannot guess the symbol from the file name; pass --symbol`);
        if (!interval) throw new TradelabError(`${file}: cannot guess the interval from the file name; pass --interval`);
        const named = guess.symbol?.toUpperCase();
        if (o.symbol && named && named.includes("/") && named !== o.symbol.toUpperCase() && !o.force) {
          throw new TradelabError(`${file}: the file name says ${named} but --symbol is ${o.symbol}: refusing to store it under the wrong market (pass --force to import anyway)`);
        }
        if (o.interval && guess.interval && guess.interval !== o.interval && !o.force) {
          throw new TradelabError(`${file}: the file name says ${guess.interval} but --interval is ${o.interval} (pass --force to import anyway)`);
        }
        plan.push({ file, symbol, interval });
      }
      if (plan.length > 1) for (const p of plan) await store.checkFile(p.file, p.symbol, p.interval);
      const reports: ImportReport[] = [];
      for (const p of plan) {
        const bar = progressBar(`import ${p.symbol} ${p.interval}`, !o.json);
        try {
          const r = await store.import(p.file, {
            symbol: p.symbol,
            interval: p.interval,
            onConflict: o.onConflict,
            ...(o.source ? { source: o.source } : {}),
            onProgress: (ev) => bar.update(ev.done, ev.total),
          });
          bar.stop();
          reports.push(r);
          if (!o.json) printImport(r);
        } catch (e) {
          // Only a conflict with stored bars can fail here; say exactly what was written before.
          const written = reports.filter((r) => r.written).map((r) => r.file);
          const msg = e instanceof Error ? e.message : String(e);
          throw new TradelabError(written.length ? `${msg}\n(already imported before this error: ${written.join(", ")}; later files were not imported)` : msg, { cause: e });
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
      const store = openStore(o.store);
      requireStoreDir(store.dir);
      const list = await store.list();
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

  netOptions(
    data
      .command("download")
      .description("download closed OHLCV bars with ccxt (Binance, Binance.US, Alpaca): paginated, incremental, gap report")
      .requiredOption("--symbols <list>", "comma-separated ccxt symbols, e.g. BTC/USDT,ETH/USDT (compact BTCUSDT also works)")
      .addOption(new Option("--exchange <id>", "exchange").choices([...EXCHANGES]).default("binance"))
      .addOption(new Option("--interval <interval>", "bar interval").choices([...INTERVALS]).default("1h"))
      .option("--since <time>", "first bar open time (UTC date, date-time or epoch ms); needed when nothing is stored yet")
      .option("--until <time>", "exclusive end: bars opening at or after it are not fetched (default: the last closed bar)")
      .addOption(storeOption())
      .addOption(new Option("--fill-gaps-from <exchange>", "afterwards, fetch only the missing bars from this exchange (recorded as ccxt:<exchange>:gap-fill)").choices([...EXCHANGES]))
      .option("--mix-sources", "allow adding bars from another venue to a dataset that already holds bars (recorded)")
      .option("--no-region-fallback", "do not switch to Binance.US when Binance answers HTTP 451")
      .option("--page-size <n>", "bars per request (Binance's maximum is 1000)", wholeNumber("--page-size", 1), 1000)
      .option("--json", "print machine-readable JSON"),
  )
    .addHelpText(
      "after",
      "\nOnly closed bars are stored: the bar still open at the current time is dropped (the clock can be\n" +
        "set with TRADELAB_NOW_MS for replays and tests). With bars stored, the download continues after\n" +
        "the last stored bar. A download stopped by the network keeps what it fetched, so re-running resumes;\n" +
        "a malformed response writes nothing. Bars from another venue are refused unless --mix-sources.\n" +
        "When Binance answers HTTP 451 (restricted location) the download uses Binance.US and says so.\n" +
        "Alpaca needs APCA_API_KEY_ID / APCA_API_SECRET_KEY (crypto bars only).\n\n" +
        "Example:\n  tradelab data download --exchange binance --symbols BTC/USDT,ETH/USDT --interval 1h --since 2024-01-01",
    )
    .action(
      async (o: NetOptions & { symbols: string; exchange: ExchangeId; interval: IntervalName; since?: string; until?: string; store?: string; fillGapsFrom?: ExchangeId; mixSources?: boolean; regionFallback: boolean; pageSize: number; json?: boolean }) => {
        const since = o.since !== undefined ? parseTime(o.since, "--since") : undefined;
        const until = o.until !== undefined ? parseTime(o.until, "--until") : undefined;
        checkWindow(since, until);
        const progress = barsBySymbol("download", !o.json);
        try {
          const report = await downloadBars({
            exchange: o.exchange,
            symbols: symbolList(o.symbols),
            interval: o.interval,
            ...(o.since !== undefined ? { since: parseTime(o.since, "--since") } : {}),
            ...(o.until !== undefined ? { until: parseTime(o.until, "--until") } : {}),
            ...(o.store !== undefined ? { store: o.store } : {}),
            ...(o.baseUrl !== undefined ? { baseUrl: o.baseUrl } : {}),
            ...(o.fillGapsFrom !== undefined ? { fillGapsFrom: o.fillGapsFrom } : {}),
            mixSources: o.mixSources === true,
            regionFallback: o.regionFallback,
            pageSize: o.pageSize,
            timeoutMs: o.timeout,
            retry: { retries: o.retries },
            log: note,
            onProgress: (p) => progress.update(`${p.symbol} ${p.interval}${p.phase === "gap-fill" ? " gap fill" : ""}`, p.done, p.total),
          });
          progress.stopAll();
          if (o.json) printJson(report);
          else printDownload(report);
          reportFailures(report.symbols);
        } finally {
          progress.stopAll();
        }
      },
    );

  netOptions(
    data
      .command("funding")
      .description("download funding-rate history of perpetual swaps (ccxt fetchFundingRateHistory) into the store")
      .requiredOption("--symbols <list>", "comma-separated perpetuals, e.g. BTC/USDT:USDT,ETH/USDT:USDT")
      .addOption(new Option("--exchange <id>", "exchange").choices([...FUNDING_EXCHANGES]).default("binance"))
      .option("--since <time>", "first funding time wanted (needed when nothing is stored yet)")
      .option("--until <time>", "exclusive end")
      .addOption(storeOption())
      .option("--mix-sources", "allow adding events from another source to a stored series")
      .option("--json", "print machine-readable JSON"),
  )
    .addHelpText("after", "\nStored as <store>/<SYMBOL>/funding/series.parquet (ts ms, rate fraction per funding interval).\n\nExample:\n  tradelab data funding --exchange binance --symbols BTC/USDT:USDT --since 2024-01-01")
    .action(async (o: NetOptions & { symbols: string; exchange: FundingExchangeId; since?: string; until?: string; store?: string; mixSources?: boolean; json?: boolean }) => {
      checkWindow(o.since !== undefined ? parseTime(o.since, "--since") : undefined, o.until !== undefined ? parseTime(o.until, "--until") : undefined);
      const progress = barsBySymbol("funding", !o.json);
      try {
        const report = await downloadFunding({
          exchange: o.exchange,
          symbols: o.symbols.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean),
          ...(o.since !== undefined ? { since: parseTime(o.since, "--since") } : {}),
          ...(o.until !== undefined ? { until: parseTime(o.until, "--until") } : {}),
          ...(o.store !== undefined ? { store: o.store } : {}),
          ...(o.baseUrl !== undefined ? { baseUrl: o.baseUrl } : {}),
          mixSources: o.mixSources === true,
          timeoutMs: o.timeout,
          retry: { retries: o.retries },
          log: note,
          onProgress: (p) => progress.update(p.symbol, p.done, p.total),
        });
        progress.stopAll();
        if (o.json) printJson(report);
        else printFunding(report);
        reportFailures(report.symbols);
      } finally {
        progress.stopAll();
      }
    });

  data
    .command("funding-info")
    .description("events, first/last, spacing and sources of stored funding series (all without --symbol)")
    .option("--symbol <symbol>", "perpetual, e.g. BTC/USDT:USDT")
    .addOption(storeOption())
    .option("--json", "print machine-readable JSON")
    .action(async (o: { symbol?: string; store?: string; json?: boolean }) => {
      const fs = new FundingStore(o.store);
      const symbols = o.symbol ? [o.symbol.toUpperCase()] : await fs.list();
      const infos: FundingInfo[] = [];
      for (const s of symbols) infos.push(await fs.info(s));
      if (o.json) return printJson(o.symbol ? infos[0] : infos);
      if (infos.length === 0) return void process.stdout.write(`no funding series in ${fs.dir}\n`);
      for (const i of infos) process.stdout.write(kvTable(fundingRows(i)) + "\n");
    });

  data
    .command("import-funding")
    .description("import funding-rate files (freqtrade *-funding_rate.feather, Parquet, CSV) into the store")
    .argument("<files...>", "files to import")
    .option("--symbol <symbol>", "perpetual, e.g. BTC/USDT:USDT (guessed from freqtrade file names)")
    .addOption(storeOption())
    .addOption(new Option("--on-conflict <policy>", "when a rate differs from the stored one at the same time").choices(["error", "replace", "keep"]).default("error"))
    .option("--source <label>", "source label recorded (default file:<name>)")
    .option("--json", "print machine-readable JSON")
    .action(async (files: string[], o: { symbol?: string; store?: string; onConflict: OnConflict; source?: string; json?: boolean }) => {
      const fs = new FundingStore(o.store);
      const reports = [];
      for (const file of files) {
        const symbol = o.symbol ?? inferDatasetFromFileName(file).symbol;
        if (!symbol) throw new TradelabError(`${file}: cannot guess the symbol from the file name; pass --symbol`);
        const r = await fs.import(file, { symbol, onConflict: o.onConflict, ...(o.source ? { source: o.source } : {}) });
        reports.push(r);
        if (!o.json) {
          process.stdout.write(`${r.written ? "imported" : "unchanged"}: ${r.file} (${r.format}) -> ${r.info.symbol} funding: ${r.rowsIn} read, ${r.rowsAdded} added, ${r.rowsUnchanged} unchanged; ${r.rowsTotal} stored\n`);
          process.stdout.write(kvTable(fundingRows(r.info)) + "\n");
        }
      }
      if (o.json) printJson(files.length === 1 ? reports[0] : reports);
    });

  data
    .command("import-vision")
    .description("import Binance Vision kline archives (monthly/daily .zip or the .csv inside; ms or µs timestamps, header or not)")
    .argument("<files...>", "e.g. BTCUSDT-1h-2025-01.zip (a .CHECKSUM file next to it is verified)")
    .option("--symbol <symbol>", "market symbol (default: from the file name, BTCUSDT -> BTC/USDT; use BTC/USDT:USDT for futures archives)")
    .addOption(new Option("--interval <interval>", "bar interval (default: from the file name)").choices([...INTERVALS]))
    .addOption(storeOption())
    .addOption(new Option("--on-conflict <policy>", "when a bar differs from the stored bar at the same time").choices(["error", "replace", "keep"]).default("error"))
    .option("--mix-sources", "allow adding Binance bars to a dataset holding bars from another venue")
    .option("--json", "print machine-readable JSON")
    .action(async (files: string[], o: { symbol?: string; interval?: IntervalName; store?: string; onConflict: OnConflict; mixSources?: boolean; json?: boolean }) => {
      const reports = await importVision(files, {
        ...(o.store !== undefined ? { store: o.store } : {}),
        ...(o.symbol !== undefined ? { symbol: o.symbol } : {}),
        ...(o.interval !== undefined ? { interval: o.interval } : {}),
        onConflict: o.onConflict,
        mixSources: o.mixSources === true,
        onFile: (r) => {
          if (!o.json) process.stdout.write(`${r.written ? "imported" : "unchanged"}: ${r.file} (${r.format}, checksum ${r.checksum}) -> ${r.info.symbol} ${r.info.interval}: ${r.rowsIn} read, ${r.rowsAdded} added, ${r.rowsUnchanged} unchanged; ${r.rowsTotal} stored\n`);
        },
      });
      const last = reports[reports.length - 1];
      if (o.json) printJson(reports);
      else if (last) {
        process.stdout.write(kvTable(infoRows(last.info)) + "\n");
        if (last.info.gaps.count > 0) process.stdout.write(`gaps (first ${Math.min(5, last.info.gaps.count)} of ${last.info.gaps.count}):\n${gapLines(last.info)}\n`);
      }
    });

  return data;
}
