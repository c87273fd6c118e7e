/**
 * Walk-forward analysis (the folds, the per-fold choice and the chained out-of-sample curve are
 * computed in Rust, crates/backtest/src/walk_forward.rs): a rule strategy's grid, an actions
 * file, or a checkpoint's served epochs, each chosen per fold on its in-sample part and applied
 * to its out-of-sample part.
 */
import path from "node:path";
import { readActionsFile, type ActionArrays } from "./actions-file.js";
import { resolveRegistryPath, resolveStoreDir } from "./config.js";
import { native, TradelabError } from "./errors.js";
import { toMs } from "./features.js";
import type * as G from "./generated/engine.js";
import { addon } from "./native.js";
import { splitFields, type SplitOptions } from "./sim.js";
import { checkpointSplits, policyActions, type TrainDevice } from "./train/index.js";

export type WalkForwardStrategy =
  | G.Strategy
  | { kind: "actions"; file: string }
  /** Every listed epoch (default: every epoch in checkpoint.json) is a candidate per fold. */
  | { kind: "policy"; checkpoint: string; epochs?: number[] };

export interface WalkForwardConfig {
  symbol: string;
  interval?: string;
  store?: string;
  /** The span (default: every stored bar before the test split; a policy: up to its test split). */
  from?: number | string;
  to?: number | string;
  folds: G.WalkForwardRequest["folds"];
  base?: Partial<G.SimParams>;
  strategy: WalkForwardStrategy;
  grid?: Record<string, unknown>;
}

export interface WalkForwardOptions extends SplitOptions {
  store?: string;
  /** Resolve relative `file` / `checkpoint` paths against this folder (a config file's). */
  baseDir?: string;
  /** Registry of the global test lock (serving a policy claims it when its span reaches test). */
  lockRegistry?: string;
  device?: TrainDevice;
}

export interface WalkForwardResult extends G.WalkForwardReport {
  symbol: string;
  interval: string;
  /** What was walked: the rule strategy, the actions file, or the checkpoint and its epochs. */
  source: string;
}



/**
 * Walks `config.strategy` forward over the span. A policy's folds must start out of sample
 * after its training data (its validation start); the earlier folds are dropped with a note.
 */
export async function walkForward(config: WalkForwardConfig, opts: WalkForwardOptions = {}): Promise<WalkForwardResult> {
  const interval = config.interval ?? "1h";
  const base = opts.baseDir ?? process.cwd();
  const st = config.strategy;
  const from = toMs(config.from, "from");
  let to = toMs(config.to, "to");
  const labels: string[] = [];
  const candidates: ActionArrays[] = [];
  let strategy: G.Strategy | undefined;
  let oosNotBefore: number | undefined;
  let source: string;
  if (st.kind === "actions") {
    const file = path.resolve(base, st.file);
    labels.push(st.file);
    candidates.push(readActionsFile(file));
    source = `actions file ${st.file}`;
  } else if (st.kind === "policy") {
    const ckpt = path.resolve(base, st.checkpoint);
    const info = checkpointSplits(ckpt);
    const epochs = st.epochs ?? info.epochs;
    if (epochs.length === 0) throw new TradelabError(`${ckpt}: no epochs to walk (give strategy.epochs)`);
    if (opts.split) throw new TradelabError("a policy walk-forward runs up to its checkpoint's test split; give from/to, not --split");
    to ??= info.testStart;
    oosNotBefore = info.valStart;
    let transfer: string | undefined;
    for (const epoch of epochs) {
      const served = await policyActions(ckpt, {
        symbol: config.symbol,
        epoch,
        ...(from !== undefined ? { from } : {}),
        to,
        ...(opts.store ? { store: opts.store } : {}),
        ...(opts.device ? { device: opts.device } : {}),
        ...(opts.acknowledgeBurned ? { iKnowTestIsBurned: true } : {}),
        ...(opts.lockRegistry ? { lockRegistry: opts.lockRegistry } : {}),
      });
      labels.push(`epoch ${epoch}`);
      candidates.push(served.actions);
      if (served.summary.transfer) transfer = served.summary.transferLabel ?? "transfer";
    }
    source = `policy ${ckpt}, epochs ${epochs.join(", ")} (weights trained before ${new Date(info.valStart).toISOString().slice(0, 16)}Z)${transfer ? ` · ${transfer}` : ""}`;
  } else {
    strategy = st;
    source = `rule strategy ${st.kind}`;
  }
  const req = {
    store: resolveStoreDir(opts.store ?? config.store),
    interval,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...splitFields(opts),
    ...(!opts.split ? { registry: resolveRegistryPath(opts.registry) } : {}),
    ...(opts.acknowledgeBurned && !opts.split ? { acknowledgeBurned: true } : {}),
    symbol: config.symbol,
    folds: config.folds,
    base: (config.base ?? {}) as G.SimParams,
    ...(strategy ? { strategy } : {}),
    ...(config.grid ? { grid: config.grid } : {}),
    ...(oosNotBefore !== undefined ? { oosNotBefore } : {}),
  } satisfies G.WalkForwardRequest;
  const r = (await native(() => addon.walkForward(JSON.stringify(req), labels, candidates))) as G.WalkForwardReport;
  return { ...r, symbol: config.symbol, interval, source };
}
