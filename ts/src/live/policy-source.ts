/**
 * A policy checkpoint as a paper or live run's order source: one long-lived
 * `tradelab-train decide` process per run (crates/train/src/decide.rs), fed every closed bar and
 * asked for the action row of each decision bar over JSON lines. The checkpoint's saved
 * normalisers serve it (never refitted); the row is the one `tradelab-train actions` gives for
 * that bar on a store holding the same bars, so a replayed paper run trades what a backtest of
 * the served actions trades. The engine turns the row into orders (`PaperSession.decideRow`).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { nativeSync, TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { locateTrainBinary, requireTorch } from "../train/binary.js";
import type { EnsembleSummary } from "../train/events.js";
import { trainerEnv } from "../train/torch-venv.js";
import type { Bars } from "./feed.js";
import type { PaperConfig } from "./config.js";

/** The engine-side session the loops drive (the `PaperSession` binding). */
interface RowSession {
  readonly decisionRow: number;
  barTs(i: number): number;
  decide(): unknown;
  decideRow(rowJson: string): unknown;
}

/** `strategy` of a paper config that serves a checkpoint. */
export interface PolicyStrategy {
  kind: "policy";
  checkpoint: string;
  /** Serve this epoch's weights (default: the best epoch). */
  epoch?: number;
  /** Store holding the symbol's history before the run (default: the checkpoint's store). */
  store?: string;
}

/** What the decider says when it is ready. */
export interface DeciderInfo {
  symbol: string;
  interval: string;
  epoch: number | null;
  sealHash: string;
  historyBars: number;
  lastHistoryTs: number | null;
  transfer: boolean;
  /** The parameters the checkpoint trained and validated with (the run's defaults). */
  params: G.SimParams;
  testSplit: [number, number];
  /** An ensemble's members (the decision is their mean); null for a checkpoint. */
  ensemble: EnsembleSummary | null;
}

type Answer = { event: string; message?: string; result?: unknown; bars?: number };

export class PolicyDecider {
  private readonly waiting: { resolve: (a: Answer) => void; reject: (e: Error) => void }[] = [];
  private exited: Error | undefined;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly info: DeciderInfo,
    readonly label: string,
    private readonly lines: AsyncIterator<string>,
  ) {}

  /** Starts the decider for `symbol` with the store's bars opening before `historyUntil` as history. */
  static async open(p: PolicyStrategy, symbol: string, historyUntil: number): Promise<PolicyDecider> {
    const env = trainerEnv(process.env);
    const bin = locateTrainBinary(env);
    requireTorch(env);
    const args = ["decide", "--checkpoint", p.checkpoint, "--symbol", symbol, "--history-until", String(historyUntil)];
    if (p.epoch !== undefined) args.push("--epoch", String(p.epoch));
    if (p.store) args.push("--store", p.store);
    const child = spawn(bin, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    // Appended to for the process's whole life: an exit reports its last words.
    const stderr = { text: "" };
    child.stderr.on("data", (d: Buffer) => (stderr.text += d.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const ready = first.done ? undefined : (JSON.parse(first.value) as Answer);
    if (!ready || ready.event !== "ready") {
      child.kill();
      throw new TradelabError(`tradelab-train decide for ${p.checkpoint}: ${ready?.message ?? (stderr.text.trim() || "exited before it was ready")}`);
    }
    const info = ready.result as DeciderInfo;
    const what = info.ensemble ? `ensemble of ${info.ensemble.members.length}` : p.epoch !== undefined ? `epoch ${p.epoch}` : "best epoch";
    const label = `policy ${p.checkpoint} (${what}, seal ${info.sealHash.replace(/^sha256:/, "").slice(0, 12)})${info.transfer ? `, transfer (not trained on ${symbol})` : ""}`;
    const d = new PolicyDecider(child, info, label, lines);
    child.on("close", (code, signal) => {
      const why = stderr.text.trim();
      d.exited = new TradelabError(`tradelab-train decide exited (${signal ?? `code ${code}`})${why ? `: ${why.slice(-500)}` : ""}`);
      for (const w of d.waiting.splice(0)) w.reject(d.exited);
    });
    void d.read();
    return d;
  }

  private async read(): Promise<void> {
    for (;;) {
      const r = await this.lines.next().catch(() => ({ done: true as const, value: undefined }));
      if (r.done) return;
      if (!r.value.trim()) continue;
      const w = this.waiting.shift();
      try {
        w?.resolve(JSON.parse(r.value) as Answer);
      } catch (e) {
        w?.reject(new TradelabError(`tradelab-train decide sent a line that is not JSON: ${r.value.slice(0, 200)}`, { cause: e }));
      }
    }
  }

  private ask(req: unknown): Promise<Answer> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<Answer>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    }).then((a) => {
      if (a.event === "error") throw new TradelabError(`${this.label}: ${a.message ?? "error"}`);
      return a;
    });
  }

  /** Hands the decider newly closed bars (the same ones the engine steps). */
  async push(b: Bars): Promise<void> {
    if (b.ts.length === 0) return;
    await this.ask({ push: { ts: b.ts, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume } });
  }

  /** The policy's action row for the held bar opening at `ts`. */
  async decide(ts: number): Promise<G.ActionRow> {
    const a = await this.ask({ decide: ts });
    return a.result as G.ActionRow;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * Runs a loop with the run's decider when its strategy is a policy checkpoint (history: the
 * store's bars before `from`; none for a rule strategy), closing it however the loop ends.
 */
export async function withDecider<T>(cfg: PaperConfig, loop: (decider: PolicyDecider | undefined) => Promise<T>): Promise<T> {
  const decider = cfg.strategy.kind === "policy" ? await PolicyDecider.open(cfg.strategy as PolicyStrategy, cfg.symbol, cfg.from) : undefined;
  try {
    return await loop(decider);
  } finally {
    decider?.close();
  }
}

/** The engine `PaperRequest` of a run: its rule strategy, or the decider's rows with the checkpoint's parameters (the config's override them). */
export function paperRequest(cfg: PaperConfig, decider: PolicyDecider | undefined): G.PaperRequest {
  return decider
    ? { symbol: cfg.symbol, intervalMs: cfg.intervalMs, actionsSource: decider.label, params: { ...decider.info.params, ...cfg.params } }
    : { symbol: cfg.symbol, intervalMs: cfg.intervalMs, strategy: cfg.strategy as G.Strategy, params: cfg.params };
}

/** The source's orders for the next bar: the rule strategy's, or the policy's row made orders by the engine. */
export async function proposedOrders(session: RowSession, decider: PolicyDecider | undefined): Promise<G.Orders> {
  if (!decider) return nativeSync(() => session.decide()) as G.Orders;
  const r = session.decisionRow;
  if (r < 0) return { buy: null, sell: null };
  const row = await decider.decide(session.barTs(r));
  return nativeSync(() => session.decideRow(JSON.stringify(row))) as G.Orders;
}
