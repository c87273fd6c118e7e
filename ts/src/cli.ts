#!/usr/bin/env node
/** The `tradelab` command line. Each command group lives in ts/src/cli/<group>.ts. */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { dataCommand } from "./cli/data.js";
import { featureCommands } from "./cli/features.js";
import { simCommands } from "./cli/sim.js";
import { trainCommands } from "./cli/train.js";
import { runsCommands } from "./cli/runs.js";
import { journalCommands } from "./cli/journal.js";
import { demoCommands } from "./cli/demo.js";
import { walkForwardCommand } from "./cli/walk-forward.js";
import { selectCommand } from "./cli/select.js";
import { doctorCommands } from "./cli/doctor.js";
import { studyCommand, workerCommand } from "./cli/study.js";
import { liveCommands } from "./cli/live.js";
import { installProcessGuards } from "./cli/process.js";
import { addon } from "./native.js";

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildProgram(): Command {
  const program = new Command("tradelab")
    .description(
      "Honest, fast research-to-live trading toolkit (hourly crypto and stocks).\n" +
        "Decisions made after bar T closes fill on bar T+1 or later; every number states lag, fill rule, fees and split.",
    )
    .version(version())
    .showHelpAfterError("(add --help for usage)");
  program.addCommand(dataCommand());
  for (const c of [...simCommands(), walkForwardCommand(), selectCommand(), studyCommand(), workerCommand(), ...featureCommands(), ...trainCommands(), ...runsCommands(), ...journalCommands(), ...demoCommands(), ...liveCommands(), ...doctorCommands(version())]) program.addCommand(c);
  return program;
}

async function main(): Promise<void> {
  installProcessGuards(() => {
    addon.removeInFlightTemps();
  });
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`error: ${msg}\n`);
    process.exitCode = 1;
  }
}

await main();
