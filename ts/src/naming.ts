/** Guesses symbol and interval from common bar-file names, so `--symbol/--interval` can be omitted. */
export interface DatasetGuess {
  symbol?: string;
  interval?: string;
}

const INTERVAL_RE = /^(1m|3m|5m|15m|30m|1h|2h|4h|6h|8h|12h|1d)$/;

/**
 * Recognises freqtrade names (`BTC_USDT-1h.feather`, `BTC_USDT_USDT-1h-futures.feather`) and
 * Binance Vision names (`ADABTC-1m-2021-11-27.csv`). Compact symbols such as `ADABTC` cannot be
 * split reliably, so they are returned as they are.
 */
export function inferDatasetFromFileName(file: string): DatasetGuess {
  const base = file.split(/[\\/]/).pop() ?? file;
  const stem = base.replace(/\.(feather|arrow|ipc|parquet|csv|txt)$/i, "");
  const parts = stem.split("-");
  const guess: DatasetGuess = {};
  const iv = parts.find((p) => INTERVAL_RE.test(p));
  if (iv) guess.interval = iv;
  const head = parts[0];
  if (head && /^[A-Za-z0-9_]+$/.test(head) && parts.length > 1) {
    const pieces = head.split("_");
    if (pieces.length === 2) guess.symbol = `${pieces[0]}/${pieces[1]}`;
    else if (pieces.length === 3) guess.symbol = `${pieces[0]}/${pieces[1]}:${pieces[2]}`;
    else guess.symbol = head;
  }
  return guess;
}
