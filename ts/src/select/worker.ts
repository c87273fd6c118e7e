/** A selector-sweep worker thread: runs rows of the sweep on the action sets it was started with. */
import { parentPort, workerData } from "node:worker_threads";
import { loadSelectorFactory, runSelect, type ResolvedActions, type SelectConfig, type SelectOptions } from "./index.js";

interface Start {
  resolved: ResolvedActions;
  opts: SelectOptions;
  /** A config's own selector module (imported here: functions cannot cross threads). */
  selectorModule?: SelectConfig["selector"];
}

export interface RowJob {
  index: number;
  config: SelectConfig;
}

const { resolved, opts, selectorModule } = workerData as Start;
const factory = await loadSelectorFactory(selectorModule);
parentPort?.on("message", (job: RowJob) => {
  try {
    const r = runSelect(job.config, resolved, factory ? { ...opts, selectorFactory: factory } : opts);
    const { curveTs: _ts, allocation: _a, benchmark: _b, ...rest } = r;
    parentPort?.postMessage({ index: job.index, ok: true, result: rest });
  } catch (e) {
    const err = e as { message?: string; code?: string };
    parentPort?.postMessage({ index: job.index, ok: false, message: err.message ?? String(e), code: err.code ?? "NATIVE" });
  }
});
