/** `tradelab train`, `tradelab eval`, `tradelab train-forecaster` (in progress). */
import type { Command } from "commander";

export function trainCommands(): Command[] {
  return [];
}
