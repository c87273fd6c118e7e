/**
 * Every failure tradelab reports to callers is a TradelabError with a readable message and a
 * stable `code` (`DATA_NOT_FOUND`, `SIM_INVALID_PARAM`, `BACKTEST_INPUT`, `INPUT`, `INTERNAL`, ...;
 * `TRADELAB` for errors raised in TS). Tell errors apart by `code`, never by message text.
 */
export class TradelabError extends Error {
  override readonly name = "TradelabError";
  readonly code: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    this.code = options?.code ?? "TRADELAB";
  }
}

/** The native addon prefixes each message with its Rust error's code: `[DATA_NOT_FOUND] ...`. */
export function fromNative(e: unknown): TradelabError {
  if (e instanceof TradelabError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  const m = /^\[([A-Z][A-Z0-9_]*)\] ([\s\S]*)$/.exec(msg);
  return m ? new TradelabError(m[2] as string, { cause: e, code: m[1] as string }) : new TradelabError(msg, { cause: e, code: "NATIVE" });
}

/** `native` for a synchronous addon call (a paper session's step, the order journal). */
export function nativeSync<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw fromNative(e);
  }
}

/** Wraps errors thrown by the native addon into TradelabError with its code and message. */
export async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw fromNative(e);
  }
}
