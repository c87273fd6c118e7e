/** `tradelab features ...` and `tradelab forecast ...` (in progress). */
import type { Command } from "commander";

export function featureCommands(): Command[] {
  return [];
}
