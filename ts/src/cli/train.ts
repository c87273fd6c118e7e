/** `tradelab train`, `tradelab eval`, `tradelab train-forecaster`: the trainer binary (crates/train) from the CLI. */
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import path from "node:path";
import { environmentText, openRegistry } from "../registry/index.js";
import { TradelabError } from "../errors.js";
import { writeReport } from "../report/index.js";
import { evaluate, policyActions, train, trainForecaster, type EpochEvent, type ProgressEvent, type SplitSummary, type TrainDevice, type TrainEvent } from "../train/index.js";
import { assumptionsLine, metricRows, stressText } from "./sim.js";
import { isoMs, kvTable, printJson, table } from "./ui.js";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "-" : Number.isFinite(x) ? x.toFixed(d) : String(x));
const DEVICES = ["auto", "cpu", "cuda"];

interface RecordFlags {
  registry?: string;
  /** false with --no-record */
  record: boolean;
}

function recordOption(o: RecordFlags): false | { registry?: string } {
  return o.record ? (o.registry ? { registry: o.registry } : {}) : false;
}

function recordedLine(id: string, registry: string | undefined): string {
  return `recorded run ${id} in ${openRegistry(registry).path} (tradelab runs show ${id})\n`;
}

function windowText(s: SplitSummary): string {
  return `split ${s.window.split} ${isoMs(s.window.first)} .. ${isoMs(s.window.last)} (${s.window.bars} bars)`;
}

/** One line per epoch: the exact validation numbers with the assumptions they hold under. */
function epochLine(e: EpochEvent): string {
  const v = e.val;
  const head = `epoch ${e.epoch}/${e.epochs} · train loss ${num(e.trainLoss, 4)} · ${num(e.seconds, 1)} s${e.best ? " · best" : ""}`;
  if (!v) return `${head}\n`;
  return (
    `${head}\n  ${v.symbol} val: return ${pct(v.metrics.totalReturn)} · sortino ${num(v.metrics.sortino)} · max drawdown ${pct(v.metrics.maxDrawdown)}` +
    ` · ${v.metrics.tradeCount} trades · ${windowText(v)} · ${v.assumptions.text}${v.assumptions.optimistic ? " [OPTIMISTIC]" : ""}\n`
  );
}

/** Step progress of the current epoch on stderr (a bar on a terminal, nothing otherwise). */
class EpochBar {
  private bar: cliProgress.SingleBar | undefined;
  constructor(private readonly enabled: boolean) {}
  update(p: ProgressEvent): void {
    if (!this.enabled) return;
    const payload = { epoch: `${p.epoch}/${p.epochs}`, loss: num(p.loss, 4), lr: p.lr.toExponential(2), sps: num(p.samplesPerSec, 0) };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: "epoch {epoch} [{bar}] {value}/{total} steps | loss {loss} | lr {lr} | {sps} samples/s | {eta_formatted} left",
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.steps, p.step, payload);
    } else {
      this.bar.setTotal(p.steps);
      this.bar.update(p.step, payload);
    }
  }
  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function trainCommand(): Command {
  return new Command("train")
    .description("train a causal limit-order policy (libtorch) through the differentiable simulator; exact validation every epoch")
    .requiredOption("--config <file>", "training config JSON (fields: crates/train/README.md; example: examples/train-sol.json)")
    .option("--out <dir>", "checkpoint directory (default: runs/train/<SYM>-<arch>-<UTC stamp>)")
    .addOption(new Option("--device <device>", "where to train").choices(DEVICES).default("auto"))
    .option("--resume <dir>", "continue from this checkpoint (raise training.epochs; optimiser moments restart)")
    .option("--store <dir>", "bar store directory (overrides the config's store)")
    .option("--deterministic", "deterministic mode: libtorch on one intra-op and one inter-op thread, CPU only (recorded in the run's environment)")
    .option("--registry <file>", "run registry to record into (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print the final result as JSON on stdout")
    .addHelpText(
      "after",
      `
The trainer is the tradelab-train binary: build it once with \`npm run build:train\`
(installs pip torch 2.11.0 in ~/.cache/tradelab/torch-venv, then builds crates/train), or point
TRADELAB_TRAIN_BIN at it. Checkpoint selection uses the target symbol's exact validation Sortino
(decision lag, fill rule and fees from the config's "sim"); the test split is never touched here:
look at it once with \`tradelab eval --checkpoint DIR --split test\`.

The same config and seed on the same machine train the same weights. Another CPU, SIMD level,
libtorch build or thread count can train different ones: the run records its environment, and
\`tradelab runs compare\` shows where two runs' environments differ.`,
    )
    .action(async (o: RecordFlags & { config: string; out?: string; device: TrainDevice; resume?: string; store?: string; deterministic?: boolean; json?: boolean }) => {
      const bar = new EpochBar(Boolean(process.stderr.isTTY) && !o.json);
      const onEvent = (e: TrainEvent) => {
        if (e.event === "start") {
          process.stderr.write(
            `training on ${e.device}${e.resumedFrom ? ` (resumed from ${e.resumedFrom}, epoch ${e.startEpoch})` : ""}: ${e.params} parameters, ` +
              `${e.trainWindows} training windows, ${e.valBars} validation bars, ${e.features} features\n`,
          );
        } else if (e.event === "progress") bar.update(e);
        else if (e.event === "epoch") {
          bar.stop();
          process.stderr.write(epochLine(e));
        }
      };
      let done;
      try {
        done = await train(
          o.config,
          {
            ...(o.out ? { out: o.out } : {}),
            device: o.device,
            ...(o.resume ? { resume: o.resume } : {}),
            ...(o.store ? { store: o.store } : {}),
            ...(o.deterministic ? { deterministic: true } : {}),
            record: recordOption(o),
          },
          onEvent,
        );
      } finally {
        bar.stop();
      }
      if (o.json) {
        printJson({
          checkpoint: path.resolve(done.checkpoint),
          bestEpoch: done.bestEpoch,
          val: done.val,
          seconds: done.seconds,
          epochs: done.epochs,
          ...(done.start.environment ? { environment: done.start.environment } : {}),
          ...(done.runId ? { runId: done.runId } : {}),
        });
        return;
      }
      let text =
        table(
          ["epoch", "train loss", "val return", "val sortino", "max dd", "trades", "best", "s"],
          done.epochs.map((e) => [
            e.epoch,
            num(e.trainLoss, 4),
            e.val ? pct(e.val.metrics.totalReturn) : "-",
            e.val ? num(e.val.metrics.sortino) : "-",
            e.val ? pct(e.val.metrics.maxDrawdown) : "-",
            e.val ? e.val.metrics.tradeCount : "-",
            e.epoch === done.bestEpoch ? "*" : "",
            num(e.seconds, 1),
          ]),
        ) + "\n";
      text += `checkpoint ${path.resolve(done.checkpoint)} · best epoch ${done.bestEpoch ?? "-"} · ${num(done.seconds, 1)} s\n`;
      if (done.start.environment) text += `environment: ${environmentText(done.start.environment)}\n`;
      if (done.val) text += `best epoch, ${done.val.symbol} ${done.val.interval} · ${windowText(done.val)}\n${assumptionsLine(done.val.assumptions)}\n${kvTable(metricRows(done.val.metrics))}\n`;
      text += `next: tradelab eval --checkpoint ${path.resolve(done.checkpoint)} --split val\n`;
      if (done.runId) text += recordedLine(done.runId, o.registry);
      process.stdout.write(text);
    });
}

function evalCommand(): Command {
  return new Command("eval")
    .description("evaluate a checkpoint's best weights with the exact simulator on its val or (locked) test split")
    .requiredOption("--checkpoint <dir>", "checkpoint directory written by tradelab train, or an ensemble directory (tradelab study ensemble)")
    .addOption(new Option("--split <split>", "which split").choices(["val", "test"]).makeOptionMandatory())
    .option("--epoch <n>", "evaluate this epoch's weights (kept per training.keepEpochs) instead of the best")
    .option("--symbol <sym>", "evaluate this symbol (default: the target); one the checkpoint never trained on is a labelled transfer")
    .option("--i-know-test-is-burned", "allow another look at the test split (the result is marked testBurned)")
    .option("--store <dir>", "bar store directory (default: the checkpoint config's store)")
    .addOption(new Option("--device <device>", "where to run the policy").choices(DEVICES))
    .option("--deterministic", "deterministic mode: libtorch on one intra-op and one inter-op thread, CPU only (recorded in the run's environment)")
    .option("--out <file>", "also write the full result (trades, curve) as JSON")
    .option("--report <file>", "write a self-contained HTML report (equity, drawdown, monthly returns, trades)")
    .option("--trades", "print the trade list")
    .option("--registry <file>", "run registry to record into (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print machine-readable JSON")
    .addHelpText(
      "after",
      `
The splits and feature normalisers are the checkpoint's own: bars appended after training change
nothing. The test split is locked: every --split test is logged in <checkpoint>/test-ledger.json
and a second one is refused unless --i-know-test-is-burned (then the result says testBurned).
Tune on val; look at test once, at the end.

--symbol S evaluates another trained symbol of a global policy, or a symbol it never trained on:
a TRANSFER result, labelled so everywhere (table, JSON, registry notes). Its normaliser is fitted
on its own rows inside the checkpoint's training window only (never val/test rows), the feature
schema must match, a global policy uses the mean of its symbol embeddings, and its test split is
locked per symbol like the target's.`,
    )
    .action(
      async (
        o: RecordFlags & {
          checkpoint: string;
          split: "val" | "test";
          epoch?: string;
          symbol?: string;
          iKnowTestIsBurned?: boolean;
          store?: string;
          device?: TrainDevice;
          deterministic?: boolean;
          out?: string;
          report?: string;
          trades?: boolean;
          json?: boolean;
        },
      ) => {
        const e = await evaluate(o.checkpoint, o.split, {
          ...(o.epoch !== undefined ? { epoch: epochNumber(o.epoch) } : {}),
          ...(o.symbol ? { symbol: o.symbol } : {}),
          ...(o.store ? { store: o.store } : {}),
          ...(o.iKnowTestIsBurned ? { iKnowTestIsBurned: true } : {}),
          ...(o.out ? { out: o.out } : {}),
          ...(o.device ? { device: o.device } : {}),
          ...(o.deterministic ? { deterministic: true } : {}),
          record: recordOption(o),
        });
        const r = e.result;
        const transfer = r.transfer ? ` · ${r.transferLabel ?? `transfer (not trained on ${r.symbol})`}` : "";
        if (o.report) {
          writeReport(o.report, {
            title: `${r.symbol} ${r.interval} · trained policy${transfer} — ${e.split === "test" ? (r.testBurned ? "test (burned)" : "test (locked)") : `validation, ${r.selection ?? "selection window"}`}`,
            config: { checkpoint: path.resolve(e.checkpoint), split: e.split, bestEpoch: r.bestEpoch, dataHash: r.dataHash, testBurned: r.testBurned, transfer: r.transfer, trainedSymbols: r.trainedSymbols },
            runs: [
              {
                name: (e.split === "test" ? (r.testBurned ? "test (burned)" : "test (locked)") : `validation (${r.selection ?? "selection window"})`) + transfer,
                symbol: r.symbol,
                interval: r.interval,
                split: e.split,
                assumptions: r.assumptions,
                window: r.window,
                metrics: r.metrics,
                trades: r.trades,
                roundTrips: r.roundTrips,
                curve: r.curve,
              },
            ],
            ...(e.runId ? { subtitle: `run ${e.runId}` } : {}),
          });
        }
        if (r.dataHashMatches === false) process.stderr.write("warning: bars inside the checkpoint's splits changed since training (data hash differs)\n");
        if (o.json) {
          const { curve: _curve, trades, ...rest } = r;
          printJson({
            split: e.split,
            checkpoint: path.resolve(e.checkpoint),
            ...rest,
            trades: o.trades ? trades : trades.length,
            ...(e.environment ? { environment: e.environment } : {}),
            ...(e.runId ? { runId: e.runId } : {}),
            ...(e.parentRunId ? { parentRunId: e.parentRunId } : {}),
            ...(o.report ? { report: path.resolve(o.report) } : {}),
          });
          return;
        }
        let text =
          `${r.symbol} ${r.interval}${transfer} · ${r.ensemble ? `ensemble ${path.resolve(e.checkpoint)} (${r.ensemble.members.length} members: the mean of their actions)` : `checkpoint ${path.resolve(e.checkpoint)} (best epoch ${r.bestEpoch ?? "-"})`} · ${windowText(r)}\n` +
          (r.ensemble ? `${r.ensemble.members.map((m, i) => `  member ${i + 1}: ${m}${r.ensemble?.epochs[i] != null ? ` epoch ${r.ensemble.epochs[i]}` : ""}`).join("\n")}\n${r.ensemble.source ? `  chosen by ${r.ensemble.source}\n` : ""}` : "") +
          assumptionsLine(r.assumptions) +
          "\n" +
          (r.transfer ? transferText(r.symbol, r.trainedSymbols, r.normaliserFittedRows) : "") +
          (r.testBurned ? "TEST SPLIT BURNED: it was looked at before; this number is no longer an unbiased estimate\n" : "") +
          (r.selection ? `validation is the ${r.selection}${r.ensemble ? "" : ": it chose the epoch"}, so these numbers are in-sample for that choice\n` : "") +
          kvTable(metricRows(r.metrics)) +
          "\n" +
          stressText(r.stress, r.robust);
        if (r.otherSymbols.length) {
          text +=
            table(
              ["other symbol", "return", "sortino", "max dd", "trades"],
              r.otherSymbols.map((s) => [s.symbol, pct(s.metrics.totalReturn), num(s.metrics.sortino), pct(s.metrics.maxDrawdown), s.metrics.tradeCount]),
            ) + "\n";
        }
        if (o.trades) {
          text +=
            table(
              ["time", "side", "price", "qty", "fee", "reason"],
              r.trades.map((t) => [isoMs(t.ts), t.side, num(t.price, 6), num(t.qty, 6), num(t.fee, 4), t.reason]),
            ) + "\n";
        }
        if (o.report) text += `wrote report ${o.report}\n`;
        if (e.runId) text += recordedLine(e.runId, o.registry) + (e.parentRunId ? `  (from train run ${e.parentRunId})\n` : "");
        process.stdout.write(text);
      },
    );
}

/** The transfer caveat printed under an eval or actions header. */
function transferText(symbol: string, trained: string[], fitted: [number, number] | null): string {
  return (
    `TRANSFER: the policy never trained on ${symbol} (trained on ${trained.join(", ")}); ` +
    `its normaliser is fitted on ${symbol}'s own rows ${fitted ? `${isoMs(fitted[0])} .. ${isoMs(fitted[1])}` : ""} inside the checkpoint's training window` +
    (trained.length > 1 ? ", with the mean symbol embedding\n" : "\n")
  );
}

function epochNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TradelabError(`--epoch: '${v}' is not an epoch number (1, 2, ...)`);
  return n;
}

function actionsCommand(): Command {
  return new Command("actions")
    .description("serve a checkpoint: its policy's actions on any stored bars, as Parquet or CSV for backtest, sweep or inspection")
    .requiredOption("--checkpoint <dir>", "checkpoint directory written by tradelab train, or an ensemble directory (the mean of its members' actions)")
    .option("--epoch <n>", "serve this epoch's weights (kept per training.keepEpochs; default: the best epoch)")
    .option("--symbol <sym>", "one of the checkpoint's symbols (default: its first), or one it never trained on (a labelled transfer)")
    .addOption(new Option("--split <split>", "one of the checkpoint's own splits").choices(["train", "val", "test"]))
    .option("--from <time>", "first bar (epoch ms, YYYY-MM-DD or ISO-8601); with --to instead of --split")
    .option("--to <time>", "end of the window, exclusive")
    .requiredOption("--out <file>", "actions file to write (.parquet or .csv): ts, buy_price, sell_price, buy_frac, sell_frac")
    .option("--store <dir>", "bar store directory (default: the checkpoint config's store)")
    .addOption(new Option("--device <device>", "where to run the policy").choices(DEVICES))
    .option("--deterministic", "deterministic mode: libtorch on one intra-op and one inter-op thread, CPU only (recorded in the run's environment)")
    .option("--i-know-test-is-burned", "allow a window that overlaps a test split seen before")
    .option("--registry <file>", "run registry holding the global test lock (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--json", "print machine-readable JSON")
    .addHelpText(
      "after",
      `
The checkpoint's saved normalisers and feature schema are used as they are (never refitted), so
bars appended after training can be served. A window that overlaps the checkpoint's test split is
a look at it: claimed once in the global test lock, refused the second time. A --symbol the
checkpoint never trained on is served as a TRANSFER (labelled): its normaliser is fitted on its own
rows inside the checkpoint's training window only, and its test looks are locked for that symbol.

Examples:
  tradelab actions --checkpoint runs/train/SOL --split val --out val-actions.parquet
  tradelab actions --checkpoint runs/train/SOL --epoch 2 --from 2025-01-01 --out new.csv
  tradelab backtest --symbol SOL/USDT --strategy new.csv --from 2025-01-01   # prints the stress table`,
    )
    .action(
      async (o: { checkpoint: string; epoch?: string; symbol?: string; split?: "train" | "val" | "test"; from?: string; to?: string; out: string; store?: string; device?: TrainDevice; deterministic?: boolean; iKnowTestIsBurned?: boolean; registry?: string; json?: boolean }) => {
        const r = await policyActions(o.checkpoint, {
          ...(o.epoch !== undefined ? { epoch: epochNumber(o.epoch) } : {}),
          ...(o.symbol ? { symbol: o.symbol } : {}),
          ...(o.split ? { split: o.split } : {}),
          ...(o.from !== undefined ? { from: o.from } : {}),
          ...(o.to !== undefined ? { to: o.to } : {}),
          out: o.out,
          ...(o.store ? { store: o.store } : {}),
          ...(o.device ? { device: o.device } : {}),
          ...(o.deterministic ? { deterministic: true } : {}),
          ...(o.iKnowTestIsBurned ? { iKnowTestIsBurned: true } : {}),
          ...(o.registry ? { lockRegistry: o.registry } : {}),
        });
        const s = r.summary;
        if (o.json) return printJson({ checkpoint: path.resolve(r.checkpoint), ...s, ...(r.environment ? { environment: r.environment } : {}) });
        const p = s.params;
        process.stdout.write(
          `${s.symbol} ${s.interval}${s.transfer ? ` · ${s.transferLabel ?? "transfer"}` : ""} · ${s.ensemble ? `ensemble ${path.resolve(r.checkpoint)} · mean of ${s.ensemble.members.length} members` : `checkpoint ${path.resolve(r.checkpoint)} · epoch ${s.epoch ?? `${s.bestEpoch ?? "-"} (best)`}`}\n` +
            (s.transfer ? transferText(s.symbol, s.trainedSymbols, s.normaliserFittedRows) : "") +
            `${s.rows} rows ${isoMs(s.first)} .. ${isoMs(s.last)}, ${s.decided} with orders` +
            (s.touchesTest ? (s.burned ? " · overlaps the test split (burned: seen before)" : " · overlaps the test split: this look is recorded in the test lock") : "") +
            "\n" +
            (s.dataHashMatches === false ? "warning: bars inside the checkpoint's splits changed since training (data hash differs)\n" : "") +
            `trained with: lag ${p.decisionLag} · fill ${JSON.stringify(p.fillRule)} · maker ${p.makerFee} / taker ${p.takerFee} (pass these to backtest to reproduce eval)\n` +
            `wrote ${o.out}\n`,
        );
      },
    );
}

function trainForecasterCommand(): Command {
  return new Command("train-forecaster")
    .description("train the neural quantile forecaster (causal dilated conv, pinball loss) for use as a policy's price band")
    .requiredOption("--config <file>", "training config JSON (symbols, splits, features, forecaster.*)")
    .option("--out <dir>", "checkpoint directory (default: runs/train/<SYM>-forecaster-<UTC stamp>)")
    .addOption(new Option("--device <device>", "where to train").choices(DEVICES).default("auto"))
    .option("--store <dir>", "bar store directory (overrides the config's store)")
    .option("--json", "print the final result as JSON on stdout")
    .action(async (o: { config: string; out?: string; device: TrainDevice; store?: string; json?: boolean }) => {
      const done = await trainForecaster(
        o.config,
        { ...(o.out ? { out: o.out } : {}), device: o.device, ...(o.store ? { store: o.store } : {}) },
        (e) => {
          if (e.event !== "epoch") return;
          // The forecaster's epoch event carries pinball losses instead of a policy validation.
          const f = e as unknown as { epoch: number; epochs: number; trainPinball?: number; valPinball?: number; valCoverage?: Record<string, number>; best?: boolean };
          const cov = Object.entries(f.valCoverage ?? {})
            .map(([k, v]) => `${k} ${pct(v)}`)
            .join(", ");
          process.stderr.write(
            `epoch ${f.epoch}/${f.epochs} · train pinball ${num(f.trainPinball, 4)} · val pinball ${num(f.valPinball, 4)}${f.best ? " · best" : ""}\n  val coverage: ${cov}\n`,
          );
        },
      );
      if (o.json) return printJson(done);
      process.stdout.write(
        `forecaster checkpoint ${path.resolve(done.checkpoint)} · best epoch ${done.bestEpoch ?? "-"} · val pinball ${num(done.valPinball, 4)} (target-std units, split val)\n` +
          `use it as a policy band: "decode": { "band": { "kind": "forecast", "checkpoint": "${path.resolve(done.checkpoint)}", "horizon": 1 } }\n`,
      );
    });
}

export function trainCommands(): Command[] {
  return [trainCommand(), evalCommand(), actionsCommand(), trainForecasterCommand()];
}
