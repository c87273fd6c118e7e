/** `tradelab study create|run|status|best|ensemble|export`: hyperparameter studies over the run registry. */
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import { writeFileSync } from "node:fs";
import { TradelabError } from "../errors.js";
import { startWorker } from "../study/distributed.js";
import { readStudyConfig, runStudy, createStudy, studyEnsemble, studyStatus, writeJournal, type StudyStatus, type Summary, type Trial } from "../study/index.js";
import { printJson, table } from "./ui.js";

const num = (x: number | null | undefined) => (x === null || x === undefined ? "-" : Number.isFinite(x) ? x.toFixed(4) : String(x));

function textBar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${done}/${total}`;
}

function bestLine(s: Summary): string {
  if (!s.best) return "best: none yet";
  return `best: trial ${s.best.number} value ${num(s.best.value)} ${JSON.stringify(s.best.params)}`;
}

export function statusText(st: StudyStatus): string {
  const s = st.summary;
  const done = s.complete + s.pruned + s.failed;
  return (
    `study ${st.name} (${st.study.id}) · ${st.direction} · ${textBar(done, st.nTrials)}\n` +
    `trials done ${done} of ${st.nTrials}: complete ${s.complete}, pruned ${s.pruned}, failed ${s.failed}${s.running ? `, running ${s.running}` : ""}\n` +
    bestLine(s)
  );
}

/** The study a command means: `--config FILE` (its name) or a NAME argument. */
function nameOf(name: string | undefined, o: { config?: string }): string {
  if (o.config) return readStudyConfig(o.config).name;
  if (!name) throw new TradelabError("give a study NAME or --config FILE");
  return name;
}

function trialRows(trials: Trial[]): (string | number)[][] {
  return trials.map((t) => [t.number, t.state, num(t.value), JSON.stringify(t.params)]);
}

export function studyCommand(): Command {
  const cmd = new Command("study").description("hyperparameter studies: TPE / random / grid samplers, median / successive-halving pruners, trials recorded as runs");
  const registry = () => new Option("--registry <file>", "run registry (default $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)");

  cmd
    .command("create")
    .description("validate a study config and record the study in the registry")
    .requiredOption("--config <file>", "study config (see examples/study-*.json)")
    .addOption(registry())
    .option("--json", "print JSON")
    .action(async (o: { config: string; registry?: string; json?: boolean }) => {
      const c = readStudyConfig(o.config);
      const r = await createStudy(c, o.registry ? { registry: o.registry } : {});
      if (o.json) printJson(r);
      else process.stdout.write(`created study ${c.name} as ${r.id}: ${c.nTrials} trials, ${c.direction} ${c.objective.metric} (${c.objective.kind}${c.objective.kind === "backtest" ? ` on ${c.objective.split}` : " out-of-sample"})\n`);
    });

  cmd
    .command("run")
    .description("run a study's trials until it holds nTrials (creates it when new; resumes otherwise)")
    .requiredOption("--config <file>", "study config")
    .option("--concurrency <n>", "trials at once (default: config, else the machine's cores)", (v) => Number.parseInt(v, 10))
    .option("--store <dir>", "bar store (overrides the objective's)")
    .option("--redis <url>", "run the trials on `tradelab worker`s at this Redis (redis://HOST:PORT); --concurrency = jobs in flight")
    .addOption(registry())
    .option("--json", "print JSON")
    .option("--no-progress", "no progress bar")
    .action(async (o: { config: string; concurrency?: number; store?: string; redis?: string; registry?: string; json?: boolean; progress: boolean }) => {
      const c = readStudyConfig(o.config);
      const tty = o.progress && !o.json && process.stderr.isTTY;
      const bar = tty ? new cliProgress.SingleBar({ format: `study ${c.name} [{bar}] {value}/{total} | best {best} | pruned {pruned} failed {failed}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      let started = false;
      const r = await runStudy(c, {
        ...(o.registry ? { registry: o.registry } : {}),
        ...(o.store ? { store: o.store } : {}),
        ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        ...(o.redis ? { redis: o.redis } : {}),
        onTrial: (_t, s) => {
          if (!bar) return;
          const payload = { best: num(s.best?.value), pruned: s.pruned, failed: s.failed };
          if (!started) {
            bar.start(c.nTrials, 0, payload);
            started = true;
          }
          bar.update(s.complete + s.pruned + s.failed, payload);
        },
      });
      bar?.stop();
      if (o.json) {
        printJson(r);
        return;
      }
      process.stdout.write(
        `${statusText(r)}\nran ${r.ran} trials in ${r.seconds.toFixed(2)} s (${(r.ran / Math.max(r.seconds, 1e-9)).toFixed(1)} trials/s, ${r.concurrency} at once) · optuna journal ${r.journal}\n`,
      );
    });

  cmd
    .command("status")
    .argument("[name]", "study name (or --config)")
    .description("trials done, best so far, pruned count (--watch: refresh until done)")
    .option("--config <file>", "study config")
    .option("--watch", "refresh every second until the study holds nTrials finished trials")
    .addOption(registry())
    .option("--json", "print JSON")
    .action(async (name: string | undefined, o: { config?: string; watch?: boolean; registry?: string; json?: boolean }) => {
      const n = nameOf(name, o);
      const opts = o.registry ? { registry: o.registry } : {};
      for (;;) {
        const st = await studyStatus(n, opts);
        const s = st.summary;
        const done = s.complete + s.pruned + s.failed;
        if (o.json) printJson({ name: st.name, study: st.study.id, nTrials: st.nTrials, summary: s });
        else if (o.watch && process.stdout.isTTY) process.stdout.write(`\x1b[2K\r${statusText(st).replace(/\n/g, " · ")}`);
        else process.stdout.write(`${statusText(st)}\n`);
        if (!o.watch || done >= st.nTrials) break;
        await new Promise((res) => setTimeout(res, 1000));
      }
      if (o.watch && process.stdout.isTTY && !o.json) process.stdout.write("\n");
    });

  cmd
    .command("best")
    .argument("[name]", "study name (or --config)")
    .description("the best complete trial's value and parameters")
    .option("--config <file>", "study config")
    .option("--top <n>", "the n best trials", (v) => Number.parseInt(v, 10), 1)
    .addOption(registry())
    .option("--json", "print JSON")
    .action(async (name: string | undefined, o: { config?: string; top: number; registry?: string; json?: boolean }) => {
      const st = await studyStatus(nameOf(name, o), o.registry ? { registry: o.registry } : {});
      const sign = st.direction === "maximize" ? -1 : 1;
      const top = st.trials.filter((t) => t.state === "complete").sort((a, b) => sign * ((a.value ?? 0) - (b.value ?? 0)) || a.number - b.number).slice(0, o.top);
      if (top.length === 0) throw new TradelabError(`study '${st.name}' has no complete trial yet`);
      if (o.json) printJson(o.top === 1 ? top[0] : top);
      else process.stdout.write(`${table(["trial", "state", "value", "params"], trialRows(top))}\n`);
    });

  cmd
    .command("ensemble")
    .argument("[name]", "study name (or --config)")
    .description("write an ensemble policy of the study's best trials (the mean of their decoded actions): a directory to give as a checkpoint to eval, actions, sweeps and paper runs")
    .option("--config <file>", "study config")
    .option("--top <n>", "members: the n best complete trials", (v) => Number.parseInt(v, 10), 3)
    .requiredOption("--out <dir>", "the ensemble's directory (new, or without an ensemble.json)")
    .addOption(registry())
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  tradelab study ensemble --config examples/study-train-sol.json --top 3 --out runs/sol-ensemble\n  tradelab eval --checkpoint runs/sol-ensemble --split val")
    .action(async (name: string | undefined, o: { config?: string; top: number; out: string; registry?: string; json?: boolean }) => {
      const e = await studyEnsemble(nameOf(name, o), { top: o.top, out: o.out, ...(o.registry ? { registry: o.registry } : {}) });
      if (o.json) printJson(e);
      else process.stdout.write(`${table(["trial", "value", "checkpoint", "params"], e.members.map((m) => [m.trial, num(m.value), m.checkpoint, JSON.stringify(m.params)]))}
wrote ${e.file}: ${e.source}
`);
    });

  cmd
    .command("export")
    .argument("[name]", "study name (or --config)")
    .description("write the study's trials: an Optuna journal (optuna.load_study / optuna-dashboard), JSON or CSV")
    .option("--config <file>", "study config")
    .addOption(new Option("--format <f>", "output format").choices(["journal", "json", "csv"]).default("journal"))
    .requiredOption("--out <file>", "output file")
    .addOption(registry())
    .action(async (name: string | undefined, o: { config?: string; format: string; out: string; registry?: string }) => {
      const st = await studyStatus(nameOf(name, o), o.registry ? { registry: o.registry } : {});
      const c = st.study.config as { space: Record<string, import("../study/index.js").Param> };
      if (o.format === "journal") writeJournal(o.out, st.name, st.direction, c.space, st.trials);
      else if (o.format === "json") writeFileSync(o.out, `${JSON.stringify({ name: st.name, study: st.study.id, direction: st.direction, trials: st.trials }, null, 2)}\n`);
      else {
        const keys = Object.keys(c.space);
        const esc = (v: unknown) => (typeof v === "string" && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : String(v ?? ""));
        writeFileSync(o.out, [["number", "state", "value", ...keys].join(","), ...st.trials.map((t) => [t.number, t.state, t.value ?? "", ...keys.map((k) => t.params[k])].map(esc).join(","))].join("\n") + "\n");
      }
      process.stdout.write(`wrote ${st.trials.length} trials of study ${st.name} to ${o.out} (${o.format})\n`);
    });
  return cmd;
}

/** `tradelab worker --redis URL`: runs study trials from the queue until SIGINT/SIGTERM (then drains). */
export function workerCommand(): Command {
  return new Command("worker")
    .description("run study trials from a BullMQ queue on Redis (any number of machines); SIGINT/SIGTERM finishes the jobs in hand, then exits")
    .requiredOption("--redis <url>", "redis://HOST:PORT")
    .option("--concurrency <n>", "jobs at once (default: the machine's cores)", (v) => Number.parseInt(v, 10))
    .option("--lock-ms <ms>", "a worker silent this long is presumed dead and its job is taken over", (v) => Number.parseInt(v, 10), 30_000)
    .action(async (o: { redis: string; concurrency?: number; lockMs: number }) => {
      const { checkRedis } = await import("../study/distributed.js");
      await checkRedis(o.redis);
      const log = (line: string) => process.stdout.write(`${new Date().toISOString()} [worker ${process.pid}] ${line}\n`);
      const { availableParallelism } = await import("node:os");
      const concurrency = o.concurrency ?? availableParallelism();
      const w = startWorker(o.redis, { concurrency, lockMs: o.lockMs, log });
      await w.worker.waitUntilReady();
      log(`ready: ${o.redis}, concurrency ${concurrency}`);
      // Replace the CLI's exit-at-once signal guard: a worker drains first (it writes no temp files).
      process.removeAllListeners("SIGINT");
      process.removeAllListeners("SIGTERM");
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log(`${sig}: draining (finishing the jobs in hand)`);
          void w.close().then(() => {
            log("drained, exiting");
            resolve();
          });
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
