/** Every failure tradelab reports to callers is a TradelabError with a readable message. */
export class TradelabError extends Error {
  override readonly name = "TradelabError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Wraps errors thrown by the native addon (plain `Error`s) into TradelabError, keeping the text. */
export async function native<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof TradelabError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TradelabError(msg, { cause: e });
  }
}
