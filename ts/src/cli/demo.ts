/** `tradelab demo`: the whole research path on the bundled sample, offline, in a few minutes. */
import { stressText } from "./sim.js";
import cliProgress from "cli-progress";
import { Command } from "commander";
import { DEMO_STAGES, runDemo, type DemoResult, type DemoStageEvent } from "../demo/index.js";
import { isoMs, printJson, table } from "./ui.js";
import { locateTrainBinary, requireTorch } from "../train/binary.js";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/** Stage lines on stderr, and a progress bar over the training steps when stderr is a terminal. */
function stageRenderer(quiet: boolean): (e: DemoStageEvent) => void {
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  const say = (s: string) => {
    if (!quiet) process.stderr.write(s + "\n");
  };
  return (e) => {
    if (e.kind === "start") {
      const i = DEMO_STAGES.indexOf(e.stage) + 1;
      say(`[${i}/${DEMO_STAGES.length}] ${e.stage} ...`);
    } else if (e.kind === "done") {
      if (bar) {
        bar.stop();
        bar = null;
      }
      say(`      ${e.cached ? "cached" : "done"} in ${e.seconds.toFixed(1)} s: ${e.note}`);
    } else if (!quiet) {
      const ev = e.event;
      if (ev.event === "progress") {
        const total = ev.steps * ev.epochs;
        const done = (ev.epoch - 1) * ev.steps + ev.step;
        if (tty) {
          if (!bar) {
            bar = new cliProgress.SingleBar(
              {
                format: "      train [{bar}] {percentage}% | epoch {epoch}/{epochs} | loss {loss} | {sps} samples/s | {eta_formatted} left",
                stream: process.stderr,
                hideCursor: true,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(total, 0, { epoch: ev.epoch, epochs: ev.epochs, loss: "-", sps: "-" });
          }
          bar.update(done, { epoch: ev.epoch, epochs: ev.epochs, loss: num(ev.loss, 4), sps: num(ev.samplesPerSec, 0) });
        }
      } else if (ev.event === "epoch") {
        const m = ev.val?.metrics;
        const val = m ? `val return ${pct(m.totalReturn)}, sortino ${num(m.sortino)}` : "no validation";
        const line = `      epoch ${ev.epoch}: train loss ${num(ev.trainLoss, 4)} | ${val}${ev.best ? " (best)" : ""}`;
        if (bar) bar.updateETA();
        if (tty && bar) process.stderr.write("\n" + line + "\n");
        else say(line);
      }
    }
  };
}

function summaryTable(r: DemoResult): string {
  const rows = r.splits.map((s) => {
    const m = s.result.metrics;
    return [
      s.name,
      `${isoMs(s.result.window.first).slice(0, 10)}..${isoMs(s.result.window.last).slice(0, 10)}`,
      s.result.window.bars,
      pct(m.totalReturn),
      num(m.sortino),
      pct(m.maxDrawdown),
      m.tradeCount,
      pct(s.buyHoldReturn),
    ];
  });
  return table(["split", "window (UTC)", "bars", "total return", "sortino", "max drawdown", "trades", "buy & hold"], rows);
}

function forecastTable(r: DemoResult): string {
  return table(
    ["horizon", "rows", "close MAE %", "no-change MAE %", "p10-p90 coverage"],
    r.forecasts.horizons.map((h) => [`h${h.horizon}`, h.rows, num(h.maePct, 3), num(h.naiveMaePct, 3), pct(h.coverage)]),
  );
}

/** The validation actions under each assumption (what an edge that lives only in a fill looks like). */
function stressFor(r: Awaited<ReturnType<typeof runDemo>>): string {
  const v = r.splits.find((s) => s.split === "val")?.result;
  return v?.stress ? `validation ${stressText(v.stress, v.robust).trimEnd()}` : "";
}

export function demoCommands(): Command[] {
  const demo = new Command("demo")
    .description(
      "Run the whole path on the bundled sample, offline: data -> causal features -> quantile forecasts ->\n" +
        "train a small nano policy (a few minutes on CPU) -> exact simulator on validation and the locked\n" +
        "test window -> metrics table -> report.html -> a run in the registry. A second run reuses every cache.",
    )
    .option("--out <dir>", "output folder (store copy, caches, checkpoint, evaluations, report)", "tradelab-demo")
    .option("--symbol <symbol>", "sample symbol to trade (BTC/USDT, ETH/USDT, SOL/USDT, LINK/USDT)", "SOL/USDT")
    .option("--epochs <n>", "training epochs", "4")
    .option("--steps <n>", "training steps per epoch", "60")
    .option("--registry <file>", "run registry file (default ./tradelab-runs.sqlite or $TRADELAB_REGISTRY)")
    .option("--no-record", "do not record the runs in the registry")
    .option("--json", "print the result as JSON (stage lines still go to stderr)")
    .option("--quiet", "no stage lines")
    .addHelpText(
      "after",
      "\nEvery number is measured with decision lag 1 (fills on the bar after the decision), cross fills (the\n" +
        "bar must trade 5 bps through the limit) and 0.1% maker/taker fees. The test window is evaluated once;\n" +
        "later runs show that stored result.\n\n" +
        "Example:\n  npx tradelab demo --out /tmp/demo && xdg-open /tmp/demo/report.html",
    )
    .action(async (o: { out: string; symbol: string; epochs: string; steps: string; registry?: string; record: boolean; json?: boolean; quiet?: boolean }) => {
      const epochs = Number(o.epochs);
      const steps = Number(o.steps);
      if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs: expected a positive integer, got '${o.epochs}'`);
      if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps: expected a positive integer, got '${o.steps}'`);
      // Training and evaluation run the trainer: say what to install before any stage runs.
      locateTrainBinary();
      requireTorch();
      const r = await runDemo({
        out: o.out,
        symbol: o.symbol,
        epochs,
        stepsPerEpoch: steps,
        registry: o.registry,
        record: o.record,
        onStage: stageRenderer(Boolean(o.quiet)),
      });
      if (o.json) {
        printJson({
          ...r,
          splits: r.splits.map((s) => ({ name: s.name, split: s.split, reused: s.reused, testBurned: s.result.testBurned, buyHoldReturn: s.buyHoldReturn, assumptions: s.result.assumptions, window: s.result.window, metrics: s.result.metrics })),
        });
        return;
      }
      const a = r.splits[0]?.result.assumptions;
      const lines = [
        "",
        `${r.symbol} ${r.interval} · nano policy · ${r.trainedNow ? `trained now in ${num(r.trainSeconds ?? 0, 0)} s` : "checkpoint reused"}`,
        a ? `assumptions: ${a.text}${a.optimistic ? `  [OPTIMISTIC: ${a.warnings.join("; ")}]` : ""}` : "",
        summaryTable(r),
        stressFor(r),
        `forecasts (${r.forecasts.model}, issued at bar close, window ${isoMs(r.forecasts.window.first).slice(0, 10)}..${isoMs(r.forecasts.window.last).slice(0, 10)}):`,
        forecastTable(r),
        `report:   ${r.report}`,
        r.run ? `run:      ${r.run.id}  (tradelab runs show ${r.run.id})` : "run:      not recorded",
        `finished in ${num(r.seconds, 1)} s`,
      ];
      process.stdout.write(lines.filter((l) => l !== "").join("\n") + "\n");
    });
  return [demo];
}
