import { chmodSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TradelabError } from "../errors.js";
import { tempDir } from "../testing/paths.js";
import { evaluate, locateTrainBinary, parseEventLine, train, trainBinaryCandidates, type TrainEvent } from "./index.js";

const label = { decisionLag: 1, fillRule: "touch", makerFee: 0.001, takerFee: 0.001, optimistic: false, warnings: [], text: "lag 1 · touch · maker 0.1% / taker 0.1%" };
const summary = { symbol: "SOL/USDT", interval: "1h", assumptions: label, window: { split: "val", first: 0, last: 3_600_000, bars: 2 }, metrics: { totalReturn: 0.01, sortino: 1.5 } };

/** A stand-in `tradelab-train`: prints canned lines chosen by its first argument. */
function fakeBinary(script: string): string {
  const dir = tempDir("tradelab-fake-train-");
  const file = path.join(dir, "tradelab-train");
  writeFileSync(file, `#!/usr/bin/env node\nconst args = process.argv.slice(2);\nconst out = (o) => process.stdout.write(JSON.stringify(o) + "\\n");\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

const saved = process.env["TRADELAB_TRAIN_BIN"];
afterEach(() => {
  if (saved === undefined) delete process.env["TRADELAB_TRAIN_BIN"];
  else process.env["TRADELAB_TRAIN_BIN"] = saved;
});

describe("parseEventLine", () => {
  it("parses events, skips blank lines, names bad lines", () => {
    expect(parseEventLine('{"event":"error","message":"boom"}')).toEqual({ event: "error", message: "boom" });
    expect(parseEventLine("   ")).toBeNull();
    expect(() => parseEventLine("hello", 3)).toThrow(/line 3: not JSON: hello/);
    expect(() => parseEventLine("[1]", 4)).toThrow(/line 4: expected a JSON object/);
    expect(() => parseEventLine('{"event":"nope"}', 5)).toThrow(/line 5: unknown event "nope"/);
  });
});

describe("train / evaluate through the binary", () => {
  it("streams events in order and returns the done summary", async () => {
    process.env["TRADELAB_TRAIN_BIN"] = fakeBinary(`
      if (args[0] !== "train" || !args.includes("--config")) { out({ event: "error", message: "bad args " + args.join(" ") }); process.exit(2); }
      out({ event: "start", device: "cpu", cuda: false, params: 10, trainWindows: 5, valBars: 2, features: 3, splits: {}, dataHash: "abc", resumedFrom: null, startEpoch: 1, config: { symbols: ["SOL/USDT"], interval: "1h" } });
      out({ event: "progress", epoch: 1, epochs: 1, step: 1, steps: 2, loss: -1, softSortino: 1, lr: 0.02, adamLr: 0.003, temperature: 0.01, samplesPerSec: 100 });
      process.stderr.write("text for people\\n");
      out({ event: "epoch", epoch: 1, epochs: 1, trainLoss: -1, val: ${JSON.stringify(summary)}, valSortino: { "SOL/USDT": 1.5 }, best: true, seconds: 0.1 });
      out({ event: "done", checkpoint: args[args.indexOf("--out") + 1], bestEpoch: 1, val: ${JSON.stringify(summary)}, seconds: 0.2 });
    `);
    const seen: TrainEvent["event"][] = [];
    let stderr = "";
    const done = await train("cfg.json", { out: "/tmp/ck", device: "cpu", onStderr: (s) => (stderr += s) }, (e) => seen.push(e.event));
    expect(seen).toEqual(["start", "progress", "epoch", "done"]);
    expect(done.checkpoint).toBe("/tmp/ck");
    expect(done.bestEpoch).toBe(1);
    expect(done.val?.window.split).toBe("val");
    expect(done.epochs).toHaveLength(1);
    expect(done.start.dataHash).toBe("abc");
    expect(done.runId).toBeUndefined();
    expect(stderr).toContain("text for people");
  });

  it("an error event becomes a TradelabError with the binary's message", async () => {
    process.env["TRADELAB_TRAIN_BIN"] = fakeBinary(`out({ event: "error", message: "the test split of ck was already evaluated" }); process.exit(1);`);
    const err = await evaluate("ck", "test").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TradelabError);
    expect((err as Error).message).toBe("the test split of ck was already evaluated");
  });

  it("a non-zero exit without an error event reports the code and stderr", async () => {
    process.env["TRADELAB_TRAIN_BIN"] = fakeBinary(`process.stderr.write("segfault-ish\\n"); process.exit(3);`);
    await expect(train("cfg.json")).rejects.toThrow(/exited with code 3: segfault-ish/);
  });

  it("non-JSON on stdout breaks the contract and is an error", async () => {
    process.env["TRADELAB_TRAIN_BIN"] = fakeBinary(`process.stdout.write("loading...\\n");`);
    await expect(evaluate("ck", "val")).rejects.toThrow(/stdout line 1: not JSON: loading/);
  });

  it("a run that ends without its result event is an error", async () => {
    process.env["TRADELAB_TRAIN_BIN"] = fakeBinary(`out({ event: "progress" });`);
    await expect(evaluate("ck", "val")).rejects.toThrow(/without an eval event/);
  });

  it("a missing binary tells the user how to build it", () => {
    expect(() => locateTrainBinary({ TRADELAB_TRAIN_BIN: "/nonexistent/tradelab-train" })).toThrow(/no such file/);
    const env = { CARGO_TARGET_DIR: "/nonexistent-a", HOME: "/nonexistent-b" };
    // Only the repo's own target/ could still hold one.
    if (trainBinaryCandidates(env).some((p) => existsSync(p))) return;
    expect(() => locateTrainBinary(env)).toThrow(/not built.*npm run build:train/);
  });
});
