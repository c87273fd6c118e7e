/** `tradelab backtest` and `tradelab sweep` (in progress). */
import type { Command } from "commander";

export function simCommands(): Command[] {
  return [];
}
