/** Typed access to a run's order journal (SQLite, written in Rust: crates/registry order_journal.rs). */
import { addon } from "../native.js";
import { nativeSync } from "../errors.js";

export type EventKind = "decision" | "intent" | "ack" | "fill" | "cancel" | "state" | "refusal" | "kill" | "error" | "stop";

export interface JournalEvent<P = Record<string, unknown>> {
  seq: number;
  kind: EventKind;
  barTs: number;
  ref: string | null;
  payload: P;
  atMs: number;
}

export interface NewEvent {
  kind: EventKind;
  barTs: number;
  ref?: string | null;
  payload: unknown;
}

type Handle = ReturnType<typeof addon.OrderJournalHandle.open>;

/** One journal file. Every write is a committed SQLite transaction when the call returns. */
export class Journal {
  private readonly h: Handle;
  constructor(readonly path: string) {
    this.h = nativeSync(() => addon.OrderJournalHandle.open(path));
  }
  /** True when the run already existed (a resume). */
  beginRun(run: string, mode: "paper" | "live", config: unknown): boolean {
    return nativeSync(() => this.h.beginRun(run, mode, JSON.stringify(config)));
  }
  /** All or none; per event, whether it was new (a replayed one is skipped). */
  append(run: string, events: NewEvent[]): boolean[] {
    return nativeSync(() => this.h.append(run, JSON.stringify(events.map((e) => ({ ...e, ref: e.ref ?? null })))));
  }
  latestState<S>(run: string): { barTs: number; state: S } | null {
    return nativeSync(() => this.h.latestState(run)) as { barTs: number; state: S } | null;
  }
  events<P = Record<string, unknown>>(run: string, kind?: EventKind): JournalEvent<P>[] {
    return nativeSync(() => this.h.events(run, kind)) as JournalEvent<P>[];
  }
  runs(): { run: string; mode: string; config: unknown; createdMs: number; events: number }[] {
    return nativeSync(() => this.h.runs()) as { run: string; mode: string; config: unknown; createdMs: number; events: number }[];
  }
}

export function clientOrderId(run: string, barTs: number, instrument: number, side: "buy" | "sell"): string {
  return nativeSync(() => addon.clientOrderId(run, barTs, instrument, side));
}
