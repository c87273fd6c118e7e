/** `tradelab demo` (in progress). */
import type { Command } from "commander";

export function demoCommands(): Command[] {
  return [];
}
