/**
 * Every run records what its numbers depend on (CPU, SIMD level, threads, libtorch, device,
 * deterministic mode); `tradelab runs show` prints it and `tradelab runs compare` lists the
 * fields where runs differ, or says "same environment".
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { environment, recordRun, type Environment, type RunComparison, type RunRecord } from "../src/index.js";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const store = path.join(repoRoot, "data/store");

const machine = (cpu: string, simd: string, torch: string, threads: number): Environment => ({
  cpu,
  cpuCount: 2,
  simd,
  os: "linux",
  arch: "x86_64",
  threads: 2,
  device: "cpu",
  deterministic: false,
  libtorch: { version: torch, git: "70d99e9", cudaBuild: null, cpuCapability: simd, threads, interopThreads: 1, cudaAvailable: false, deterministicAlgorithms: false },
});

describe("run environments", () => {
  it("records this process's environment with every run, the SIMD level actually used included", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    const here = environment();
    expect(here.cpu.length).toBeGreaterThan(0);
    expect(["avx512", "avx2", "scalar"]).toContain(here.simd);
    const bt = await runCli(["backtest", "--symbol", "SOL/USDT", "--strategy", "band", "--store", store, "--registry", registry, "--json"], { TRADELAB_SIM_SIMD: "scalar" });
    expect(bt.code).toBe(0);
    const id = (JSON.parse(bt.stdout) as { runId: string }).runId;
    const run = JSON.parse((await runCli(["runs", "show", id, "--json", "--registry", registry])).stdout) as RunRecord;
    expect(run.environment?.simd).toBe("scalar");
    expect(run.environment?.envVars).toEqual({ TRADELAB_SIM_SIMD: "scalar" });
    expect(run.environment?.cpu).toBe(here.cpu);
    const show = await runCli(["runs", "show", id, "--registry", registry]);
    expect(show.stdout).toMatch(/environment .* · sim scalar · \d+ threads? · linux\/x86_64 · cpu · not deterministic mode · TRADELAB_SIM_SIMD=scalar/);
  });

  it("runs compare shows the environment fields that differ, and 'same environment' otherwise", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    const base = { kind: "train" as const, symbols: ["SOL/USDT"], config: { seed: 7 }, metrics: { totalReturn: -0.0181 } };
    const a = await recordRun({ ...base, environment: machine("AMD EPYC", "avx512", "2.11.0+cu130", 1) }, { registry });
    const b = await recordRun({ ...base, metrics: { totalReturn: 0.0222 }, environment: machine("Intel(R) Xeon(R) CPU @ 2.20GHz", "avx2", "2.11.0+cpu", 2) }, { registry });
    const c = await recordRun({ ...base, environment: machine("AMD EPYC", "avx512", "2.11.0+cu130", 1) }, { registry });

    const diff = await runCli(["runs", "compare", a.id, b.id, "--registry", registry]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/env cpu +│ AMD EPYC +│ Intel\(R\) Xeon\(R\) CPU @ 2\.20GHz/);
    expect(diff.stdout).toMatch(/env simd +│ avx512 +│ avx2/);
    expect(diff.stdout).toMatch(/env libtorch\.version +│ 2\.11\.0\+cu130 +│ 2\.11\.0\+cpu/);
    expect(diff.stdout).toMatch(/env libtorch\.threads +│ 1 +│ 2/);
    expect(diff.stdout).not.toMatch(/env os/);
    expect(diff.stdout).toContain("environments differ in 5 fields");
    expect(diff.stdout).not.toContain("same environment");
    const json = JSON.parse((await runCli(["runs", "compare", a.id, b.id, "--json", "--registry", registry])).stdout) as RunComparison;
    expect(json.sameEnvironment).toBe(false);
    expect(json.environment.map((r) => r.field)).toEqual(["cpu", "libtorch.cpuCapability", "libtorch.threads", "libtorch.version", "simd"]);

    const same = await runCli(["runs", "compare", a.id, c.id, "--registry", registry]);
    expect(same.stdout).toContain("same environment");
    expect(same.stdout).not.toMatch(/env /);

  });
});
