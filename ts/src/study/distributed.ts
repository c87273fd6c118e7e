/**
 * Trials and sweep chunks past one machine, on BullMQ over a real Redis. The coordinator (`study run --redis`)
 * keeps the sampler, the registry and the journal; it enqueues each trial as a job whose id is
 * (spec hash, trial number, params hash), so enqueueing twice is a no-op and a result is written
 * once, by the coordinator, when the job completes. Workers (`tradelab worker --redis`) run the
 * objective and return its result. BullMQ gives retries (attempts with backoff), stalled-job
 * recovery (a worker that dies loses its lock and another worker takes the job) and a graceful
 * close. A worker refuses a job made by another code version and puts it back for others.
 * Intermediate values travel as job progress; the coordinator's pruner answers through a Redis
 * key the worker reads before the next step.
 *
 * A kernel sweep (`sweep --redis`) is cut into chunks of consecutive rows by Rust
 * (`sweepPlan`); each chunk is a job keyed by (sweep hash, rows), a worker runs it with
 * `sweepChunk` and returns the encoded rows, and the coordinator merges them in Rust
 * (`sweepMerge`): the report (best row, deflated Sharpe, PBO) equals a local sweep's.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { DelayedError, Queue, QueueEvents, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { native, TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { codeVersion } from "../registry/index.js";
import type { Objective } from "./config.js";
import { evaluate, type ObjectiveResult } from "./objective.js";

export const QUEUE = "tradelab-trials";
const pruneKey = (jobId: string) => `tradelab:prune:${jobId}`;

export interface TrialJob {
  codeVersion: string;
  study: string;
  number: number;
  objective: Objective;
  params: Record<string, unknown>;
  baseDir: string;
  /** Where train trials write (a shared folder when workers run on several machines). */
  trialsDir: string;
  store?: string;
}

/** The sweep a chunk belongs to, as `sweepChunk` takes it (no output path: workers write nothing). */
export interface SweepChunkArgs {
  windowJson: string;
  symbol: string;
  specJson: string;
}

export interface SweepChunkJob {
  codeVersion: string;
  args: SweepChunkArgs;
  start: number;
  end: number;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

const hash = (v: unknown) => createHash("sha256").update(canonical(v)).digest("hex").slice(0, 16);

/** BullMQ job ids may not hold ':'. */
export function trialJobId(specHash: string, number: number, params: Record<string, unknown>): string {
  return `${specHash}-${number}-${hash(params)}`;
}

export function specHash(v: unknown): string {
  return hash(v);
}

function redis(url: string): Redis {
  // BullMQ needs maxRetriesPerRequest null on its blocking connections.
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** Fails fast, naming the URL, when Redis cannot be reached (nothing is enqueued first). */
export async function checkRedis(url: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  r.on("error", () => {});
  try {
    await r.connect();
    await r.ping();
  } catch (e) {
    throw new TradelabError(`cannot reach Redis at ${url}: ${e instanceof Error ? e.message : String(e)} (start redis-server, or check --redis)`, { code: "REDIS_UNREACHABLE" });
  } finally {
    r.disconnect();
  }
}

/**
 * Queue events read from the stream's current end. BullMQ's default ('$' at the first blocking
 * read) can miss a job that completes between `waitUntilReady` and that read, after
 * `waitUntilFinished`'s own state check: short jobs (sweep chunks) then wait forever.
 */
async function eventsFromNow(queue: Queue, client: Redis): Promise<QueueEvents> {
  const tail = await client.xrevrange(queue.keys.events as string, "+", "-", "COUNT", 1);
  const events = new QueueEvents(QUEUE, { connection: client, lastEventId: tail[0]?.[0] ?? "0-0" });
  await events.waitUntilReady();
  return events;
}

/** The coordinator's side: enqueue a trial, forward its progress to the pruner, await its result. */
export class RemoteTrials {
  private readonly progress = new Map<string, (step: number, value: number) => boolean>();

  private constructor(
    readonly url: string,
    private readonly client: Redis,
    private readonly queue: Queue,
    private readonly eventsClient: Redis,
    private readonly events: QueueEvents,
  ) {
    this.events.on("progress", ({ jobId, data }) => {
      const report = this.progress.get(jobId);
      const d = data as { step?: number; value?: number };
      if (!report || typeof d.step !== "number" || typeof d.value !== "number") return;
      if (report(d.step, d.value)) void this.client.set(pruneKey(jobId), "1", "EX", 86400);
    });
  }

  static async open(url: string): Promise<RemoteTrials> {
    await checkRedis(url);
    const client = redis(url);
    const queue = new Queue(QUEUE, { connection: client });
    const eventsClient = redis(url);
    return new RemoteTrials(url, client, queue, eventsClient, await eventsFromNow(queue, eventsClient));
  }

  async run(job: TrialJob, jobId: string, report: (step: number, value: number) => boolean): Promise<ObjectiveResult> {
    this.progress.set(jobId, report);
    try {
      const j = await this.queue.add("trial", job, { jobId, attempts: 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: { age: 7 * 86400 }, removeOnFail: { age: 7 * 86400 } });
      const out = (await j.waitUntilFinished(this.events)) as ObjectiveResult;
      return out;
    } catch (e) {
      throw new TradelabError(`trial ${job.number} failed on the workers: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.progress.delete(jobId);
    }
  }

  async close(): Promise<void> {
    // BullMQ leaves connections it was handed open: disconnect them so the process can exit.
    await this.events.close();
    await this.queue.close();
    this.eventsClient.disconnect();
    this.client.disconnect();
  }
}

/**
 * Runs a planned kernel sweep's chunks on the workers at `url` and returns their encoded
 * results, in plan order, for `sweepMerge`. A chunk's job id is (sweep hash, rows): enqueueing
 * the same sweep again reuses finished chunks, and a result is taken once.
 */
export async function runSweepChunks(url: string, args: SweepChunkArgs, plan: G.SweepPlan, onChunk?: (done: number, total: number) => void): Promise<Buffer[]> {
  await checkRedis(url);
  const client = redis(url);
  const queue = new Queue(QUEUE, { connection: client });
  const eventsClient = redis(url);
  const events = await eventsFromNow(queue, eventsClient);
  // One 'closing' / completion listener per chunk in flight.
  queue.setMaxListeners(plan.chunks.length + 10);
  events.setMaxListeners(2 * plan.chunks.length + 10);
  try {
    const key = hash({ args, codeVersion: codeVersion(), total: plan.total, dataHash: plan.dataHash, chunks: plan.chunks });
    let done = 0;
    return await Promise.all(
      plan.chunks.map(async ([start, end]) => {
        const job: SweepChunkJob = { codeVersion: codeVersion(), args, start, end };
        const j = await queue.add("sweep-chunk", job, { jobId: `sweep-${key}-${start}-${end}`, attempts: 3, backoff: { type: "exponential", delay: 1000 }, removeOnComplete: { age: 86400 }, removeOnFail: { age: 86400 } });
        let out: { cbor?: unknown };
        try {
          out = (await j.waitUntilFinished(events)) as { cbor?: unknown };
        } catch (e) {
          throw new TradelabError(`sweep rows ${start}..${end} failed on the workers: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (typeof out?.cbor !== "string") throw new TradelabError(`sweep rows ${start}..${end}: the worker returned no chunk result`);
        onChunk?.(++done, plan.chunks.length);
        return Buffer.from(out.cbor, "base64");
      }),
    );
  } finally {
    await events.close();
    await queue.close();
    eventsClient.disconnect();
    client.disconnect();
  }
}

export interface WorkerOptions {
  concurrency?: number;
  /** Lock duration (ms): a worker silent this long is presumed dead and its job moves on. */
  lockMs?: number;
  log?: (line: string) => void;
}

/** A worker process's loop: take trial jobs (run their objective) and sweep chunks (run their rows), return the result. */
export function startWorker(url: string, o: WorkerOptions = {}): { worker: Worker; close: () => Promise<void> } {
  const log = o.log ?? (() => {});
  const mine = codeVersion();
  const client = redis(url);
  const lockMs = o.lockMs ?? 30_000;
  const workerClient = redis(url);
  const worker = new Worker(
    QUEUE,
    async (job: Job<TrialJob | SweepChunkJob>, token?: string) => {
      if (job.data.codeVersion !== mine) {
        // Not ours to run: back to the queue (delayed) for a worker of that version; never failed.
        log(`job ${job.id}: refused, made by code version ${job.data.codeVersion} and this worker is ${mine}; returned to the queue`);
        await job.moveToDelayed(Date.now() + 5000, token);
        throw new DelayedError();
      }
      if (job.name === "sweep-chunk") {
        const c = job.data as SweepChunkJob;
        log(`job ${job.id}: start sweep rows ${c.start}..${c.end} of ${c.args.symbol} (attempt ${job.attemptsMade + 1})`);
        const buf = await native(() => addon.sweepChunk(c.args, c.start, c.end));
        log(`job ${job.id}: done sweep rows ${c.start}..${c.end}`);
        return { cbor: buf.toString("base64") };
      }
      const d = job.data as TrialJob;
      log(`job ${job.id}: start trial ${d.number} of ${d.study} (attempt ${job.attemptsMade + 1})`);
      const id = String(job.id);
      let pruned = false;
      const r = await evaluate(d.objective, d.params, {
        baseDir: d.baseDir,
        trialDir: path.join(d.trialsDir, `${d.number}-${process.pid}-${job.attemptsMade}`),
        ...(d.store ? { store: d.store } : {}),
        report: async (step, value) => {
          await job.updateProgress({ step, value });
          pruned ||= (await client.get(pruneKey(id))) === "1";
          return pruned;
        },
      });
      log(`job ${job.id}: done trial ${d.number} value ${r.value}${r.pruned ? " (pruned)" : ""}`);
      return r;
    },
    { connection: workerClient, concurrency: o.concurrency ?? 1, lockDuration: lockMs, stalledInterval: Math.max(500, Math.floor(lockMs / 2)), maxStalledCount: 3 },
  );
  worker.on("failed", (job, err) => log(`job ${job?.id}: failed: ${err.message}`));
  worker.on("error", (err) => log(`worker error: ${err.message}`));
  return {
    worker,
    close: async () => {
      await worker.close();
      workerClient.disconnect();
      client.disconnect();
    },
  };
}
