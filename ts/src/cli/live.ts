/**
 * `tradelab paper` (the default: the engine's step on live bars, a SimVenue), `tradelab paper
 * status`, and `tradelab live` (refuses without consent and credentials, says what it would do,
 * then runs the same loop with the ccxt venue).
 */
import { Command } from "commander";
import { createInterface } from "node:readline/promises";
import { runLive, type LiveSummary } from "../live/live.js";
import { comparePaper, type Targets } from "../live/compare.js";
import { TradelabError } from "../errors.js";
import { readPaperConfig, runIdentity, type PaperConfig } from "../live/config.js";
import { Journal } from "../live/journal.js";
import { journaledTrades, runPaper, tradeSha256, type PaperSummary, type StatePayload } from "../live/paper.js";
import { openRegistry, type RunRecord } from "../registry/index.js";
import { isoMs, kvTable, printJson, table } from "./ui.js";

function summaryText(s: PaperSummary): string {
  const st = s.status;
  return (
    `paper ${s.runId}${s.resumed ? " (resumed)" : ""} · ${st.symbol} · ${st.strategyLabel}\n` +
    `assumptions: ${st.label.text} · SimVenue (the engine's own fill model)\n` +
    kvTable([
      ["bars from", s.barsFrom],
      ["bars stepped", `${st.stepped} (this process ${s.steppedNow}, closed before orders could rest on them (warm-up or downtime) ${s.missed})`],
      ["last bar", isoMs(st.lastSteppedTs)],
      ["cash / position", `${st.cash.toFixed(2)} / ${st.position}`],
      ["equity (marked / liquidation)", `${st.equity.toFixed(2)} / ${st.liquidationValue.toFixed(2)}`],
      ["trades", s.trades],
      ["trades sha256", s.tradeSha256],
      ["kill switch", s.killed ?? "not tripped"],
      ["per-bar latency", `mean ${s.latencyMs.mean.toFixed(2)} ms, p95 ${s.latencyMs.p95.toFixed(2)} ms, max ${s.latencyMs.max.toFixed(2)} ms`],
      ["journal", s.journal],
    ]) +
    "\n"
  );
}

/**
 * An AbortController that SIGTERM / SIGINT trip, journaling a stop event first. It runs before
 * the CLI's own SIGTERM guard exits: the journal is consistent at every JS tick (each write is
 * one synchronous SQLite transaction), so a stop event is all that is left to write.
 */
function stopOnSignal(cfg: PaperConfig): AbortController {
  const ac = new AbortController();
  const onTerm = (signal: NodeJS.Signals) => {
    ac.abort();
    try {
      new Journal(cfg.journal).append(cfg.runId, [{ kind: "stop", barTs: 0, payload: { reason: signal } }]);
    } catch {
      // nothing more to save
    }
  };
  process.prependOnceListener("SIGTERM", onTerm);
  process.prependOnceListener("SIGINT", onTerm);
  return ac;
}

/** Records a finished (or stopped) paper / live run in the run registry: what it traded, its assumptions and where its journal is. */
async function recordTradingRun(kind: "paper" | "live", cfg: PaperConfig, s: PaperSummary | LiveSummary, registry: string | undefined): Promise<RunRecord> {
  const st = s.status;
  return openRegistry(registry).record({
    kind,
    symbols: [cfg.symbol],
    interval: cfg.interval,
    split: kind === "paper" ? "forward (paper)" : "forward (live)",
    ...(st.lastSteppedTs !== null ? { window: { first: cfg.from, last: st.lastSteppedTs } } : {}),
    assumptions: st.label,
    // The run's identity only: credentials never reach the config (they come from the environment).
    config: { runId: s.runId, ...runIdentity(cfg), journal: cfg.journal },
    metrics: { equity: st.equity, liquidationValue: st.liquidationValue, cash: st.cash, position: st.position, barsStepped: st.stepped, trades: s.trades, tradeSha256: s.tradeSha256, killed: s.killed },
    artifacts: { journal: cfg.journal },
    notes: `${kind} ${s.runId}${s.resumed ? " (resumed)" : ""}: ${st.strategyLabel} on ${"barsFrom" in s && s.barsFrom !== cfg.exchange ? `${s.barsFrom} (${cfg.exchange} answered HTTP 451)` : cfg.exchange}`,
  });
}

function paperRunCommand(): Command {
  return new Command("run")
    .description("run (or resume) a paper-trading loop from a config file (the default subcommand)")
    .requiredOption("--config <file>", "paper config JSON (see examples/paper-*.json)")
    .addHelpText(
      "after",
      `
"strategy" is a rule strategy ({"kind": "emaCross", "fast": 12, "slow": 26}, smaCross, band) or a
policy checkpoint: {"kind": "policy", "checkpoint": DIR, "epoch"?: N, "store"?: DIR} (DIR may be an
ensemble from \`tradelab study ensemble\`: the mean of its members' actions). A policy
decides in one long-lived tradelab-train process with the store's bars before "from" as history,
its saved normalisers and its trained simulator parameters ("params" overrides them); bars of its
test split are refused.

Examples:
  tradelab paper --config examples/paper-btc-ema.json
  tradelab paper --config examples/paper-btc-ema-replay.json --log-metrics metrics.jsonl`,
    )
    .option("--journal <file>", "order journal SQLite file (overrides the config's)")
    .option("--log-metrics <file>", "append one JSON line per bar: equity, PnL (total, today), drawdown, running Sortino")
    .option("--registry <file>", "run registry to record the run into when it ends (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print the summary as JSON")
    .action(async (o: { config: string; journal?: string; logMetrics?: string; registry?: string; record: boolean; json?: boolean }) => {
      const cfg: PaperConfig = readPaperConfig(o.config);
      if (o.journal) cfg.journal = o.journal;
      const ac = stopOnSignal(cfg);
      const log = (m: string) => {
        if (!o.json) process.stdout.write(`${m}\n`);
      };
      log(`paper ${cfg.runId}: ${cfg.symbol} ${cfg.interval} on ${cfg.exchange}${cfg.baseUrl ? ` (${cfg.baseUrl})` : ""}, from ${isoMs(cfg.from)}${cfg.until ? ` until ${isoMs(cfg.until)}` : ""}, journal ${cfg.journal}`);
      const s = await runPaper(cfg, { log, signal: ac.signal, ...(o.logMetrics ? { metricsLog: o.logMetrics } : {}) });
      const run = o.record ? await recordTradingRun("paper", cfg, s, o.registry) : undefined;
      if (o.json) printJson({ ...s, ...(run ? { registryRun: run.id } : {}) });
      else process.stdout.write(summaryText(s) + (run ? `recorded run ${run.id} (tradelab runs show ${run.id})\n` : ""));
    });
}

function paperStatusCommand(): Command {
  return new Command("status")
    .description("positions, equity, today's PnL, open orders and last errors of a paper run, from its journal")
    .argument("<run>", "run id (see the journal's runs: tradelab paper status --list)")
    .requiredOption("--journal <file>", "order journal SQLite file")
    .option("--json", "print JSON")
    .action((run: string, o: { journal: string; json?: boolean }) => {
      const j = new Journal(o.journal);
      const known = j.runs();
      if (!known.some((r) => r.run === run)) throw new TradelabError(`journal ${o.journal} has no run ${run} (runs: ${known.map((r) => r.run).join(", ") || "none"})`);
      const states = j.events<StatePayload>(run, "state");
      const last = states[states.length - 1];
      const day = last ? Math.floor(last.barTs / 86_400_000) : 0;
      const dayStart = states.find((e) => Math.floor(e.barTs / 86_400_000) === day);
      const trades = journaledTrades(j, run);
      const decisions = j.events<{ step: number; barTs: number; ids: { buy: string | null; sell: string | null } }>(run, "decision");
      const lastDecision = decisions[decisions.length - 1];
      const stepped = last?.payload.engine.bar ?? 0;
      const open = lastDecision && lastDecision.payload.step >= stepped ? [lastDecision.payload.ids.buy, lastDecision.payload.ids.sell].filter((x): x is string => x !== null) : [];
      const errors = [...j.events(run, "error"), ...j.events(run, "refusal"), ...j.events(run, "kill")].sort((a, b) => a.seq - b.seq).slice(-5);
      const out = {
        run,
        barsStepped: stepped,
        lastBar: last?.barTs ?? null,
        cash: last?.payload.cash ?? null,
        position: last?.payload.qty ?? null,
        equity: last?.payload.equity ?? null,
        todayPnl: last && dayStart ? last.payload.equity - dayStart.payload.equity : null,
        openOrders: open,
        trades: trades.length,
        tradeSha256: tradeSha256(trades),
        lastEvents: errors.map((e) => ({ kind: e.kind, barTs: e.barTs, ...e.payload })),
      };
      if (o.json) return printJson(out);
      process.stdout.write(
        kvTable([
          ["run", run],
          ["bars stepped", `${stepped} (last ${isoMs(out.lastBar)})`],
          ["cash / position", `${out.cash?.toFixed(2) ?? "-"} / ${out.position ?? "-"}`],
          ["equity", out.equity?.toFixed(2) ?? "-"],
          ["today's PnL (UTC, bar time)", out.todayPnl?.toFixed(2) ?? "-"],
          ["open orders", open.join(", ") || "none"],
          ["trades", `${trades.length} (sha256 ${out.tradeSha256})`],
        ]) + "\n",
      );
      if (errors.length) process.stdout.write("last refusals / errors / kills:\n" + table(["time", "kind", "detail"], errors.map((e) => [isoMs(e.barTs), e.kind, JSON.stringify(e.payload)])) + "\n");
    });
}

function paperCompareCommand(): Command {
  return new Command("compare")
    .description("seed 002's go-live table for paper runs (e.g. a 1h and a 5m trader): Sharpe, total return, max drawdown, consistency vs targets, weighted 40/30/20/10, and a verdict")
    .argument("<runs...>", "run ids (two or more) in one journal")
    .requiredOption("--journal <file>", "order journal SQLite file")
    .option("--targets <json>", 'targets by run id or "default", e.g. \'{"default":{"sharpe":0.5,"totalReturn":0.05,"maxDrawdown":0.1,"consistency":0.5},"run-5m":{"sharpe":1,"totalReturn":0.1}}\'')
    .option("--json", "print JSON")
    .action((runs: string[], o: { journal: string; targets?: string; json?: boolean }) => {
      if (runs.length < 2) throw new TradelabError("paper compare needs two or more run ids");
      let targets: Record<string, Partial<Targets>> = {};
      if (o.targets) {
        try {
          targets = JSON.parse(o.targets) as Record<string, Partial<Targets>>;
        } catch (e) {
          throw new TradelabError(`--targets: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      const c = comparePaper(o.journal, runs, targets);
      if (o.json) return printJson(c);
      const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
      const mark = (ok: boolean) => (ok ? "yes" : "no");
      process.stdout.write(
        table(
          ["run", "interval (P)", "window", "sharpe", "total return", "max drawdown", "consistency", "score"],
          c.rows.map((r) => [
            r.run,
            `${r.interval} (P ${r.periodsPerYear})`,
            `${isoMs(r.first)} .. ${isoMs(r.last)} (${r.bars} bars)`,
            `${r.metrics.sharpe.toFixed(2)} (>= ${r.targets.sharpe}: ${mark(r.met.sharpe)})`,
            `${pct(r.metrics.totalReturn)} (>= ${pct(r.targets.totalReturn)}: ${mark(r.met.totalReturn)})`,
            `${pct(r.metrics.maxDrawdown)} (< ${pct(r.targets.maxDrawdown)}: ${mark(r.met.maxDrawdown)})`,
            `${pct(r.consistency)} of ${r.days} days up (>= ${pct(r.targets.consistency)}: ${mark(r.met.consistency)})`,
            `${(r.score * 100).toFixed(0)}%`,
          ]),
        ) + `\nweights: sharpe 40 %, total return 30 %, max drawdown 20 %, consistency 10 % · paper runs on the SimVenue (the engine's fill model)\nverdict: ${c.verdict}\n`,
      );
    });
}

function liveCommand(): Command {
  return new Command("live")
    .description("live trading over ccxt: refused unless --live (or --yes-i-mean-live) and API keys are given; paper is the default")
    .requiredOption("--config <file>", "the same config as `tradelab paper`")
    .option("--live", "consent to live trading (asks for confirmation)")
    .option("--yes-i-mean-live", "consent to unattended live trading (no confirmation)")
    .option("--log-metrics <file>", "append one JSON line per bar: equity, PnL (total, today), drawdown, running Sortino")
    .option("--registry <file>", "run registry to record the run into when it ends (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print the summary as JSON")
    .action(async (o: { config: string; live?: boolean; yesIMeanLive?: boolean; logMetrics?: string; registry?: string; record: boolean; json?: boolean }) => {
      const cfg = readPaperConfig(o.config);
      const plan =
        `would trade ${cfg.symbol} ${cfg.interval} on ${cfg.exchange}${cfg.baseUrl ? ` at ${cfg.baseUrl}` : ""} with ${JSON.stringify(cfg.strategy)}, ` +
        `limit orders living one bar (client ids from run ${cfg.runId}, bar, instrument, side), risk ${JSON.stringify(cfg.risk)}, journal ${cfg.journal}`;
      if (!o.live && !o.yesIMeanLive) throw new TradelabError(`live trading refused: pass --live (interactive) or --yes-i-mean-live (unattended) to trade real money; \`tradelab paper\` is the default. It ${plan}`, { code: "LIVE_REFUSED" });
      const env = process.env;
      const key = cfg.exchange === "alpaca" ? env["APCA_API_KEY_ID"] : env["BINANCE_API_KEY"];
      const secret = cfg.exchange === "alpaca" ? env["APCA_API_SECRET_KEY"] : env["BINANCE_API_SECRET"];
      if (!key || !secret) {
        const names = cfg.exchange === "alpaca" ? "APCA_API_KEY_ID and APCA_API_SECRET_KEY" : "BINANCE_API_KEY and BINANCE_API_SECRET";
        throw new TradelabError(`live trading refused: no API credentials (set ${names} in the environment). It ${plan}`, { code: "LIVE_REFUSED" });
      }
      if (cfg.exchange !== "binance" && cfg.exchange !== "binanceus") throw new TradelabError(`live trading on ${cfg.exchange} is not supported yet (Binance spot only)`, { code: "LIVE_REFUSED" });
      (o.json ? process.stderr : process.stdout).write(`live: consent and credentials given (values not shown). It ${plan}\n`);
      if (!o.yesIMeanLive) {
        if (!process.stdin.isTTY) throw new TradelabError("live trading refused: --live asks for confirmation on a terminal; use --yes-i-mean-live for unattended runs", { code: "LIVE_REFUSED" });
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`type "live" to trade real money on ${cfg.exchange}: `);
        rl.close();
        if (answer.trim() !== "live") throw new TradelabError("live trading refused: not confirmed", { code: "LIVE_REFUSED" });
      }
      const ac = stopOnSignal(cfg);
      const log = (m: string) => {
        if (!o.json) process.stdout.write(`${m}\n`);
      };
      const s = await runLive(cfg, { credentials: { apiKey: key, secret }, log, signal: ac.signal, ...(o.logMetrics ? { metricsLog: o.logMetrics } : {}) });
      const run = o.record ? await recordTradingRun("live", cfg, s, o.registry) : undefined;
      if (o.json) printJson({ ...s, ...(run ? { registryRun: run.id } : {}) });
      else
        process.stdout.write(
          kvTable([
            ["live run", `${s.runId}${s.resumed ? " (resumed)" : ""}`],
            ["bars stepped", s.status.stepped],
            ["cash / position (engine, from venue fills)", `${s.status.cash.toFixed(2)} / ${s.status.position}`],
            ["venue fills", `${s.trades} (sha256 ${s.tradeSha256})`],
            ["reconcile", `${s.adopted} open order(s) adopted, ${s.orphansCancelled} orphan(s) cancelled`],
            ["kill switch", s.killed ?? "not tripped"],
          ]) + "\n" + (run ? `recorded run ${run.id} (tradelab runs show ${run.id})\n` : ""),
        );
    });
}

export function liveCommands(): Command[] {
  const paper = new Command("paper").description("paper trading: the engine's own step driven by live bars through ccxt (SimVenue), journaled in SQLite");
  paper.addCommand(paperRunCommand(), { isDefault: true });
  paper.addCommand(paperStatusCommand());
  paper.addCommand(paperCompareCommand());
  return [paper, liveCommand()];
}
