/** `tradelab runs ...` and `tradelab report ...` (in progress). */
import type { Command } from "commander";

export function runsCommands(): Command[] {
  return [];
}
