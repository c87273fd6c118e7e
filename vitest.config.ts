import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./ts/src/${p}`, import.meta.url));

export default defineConfig({
  // examples/library/*.ts import the package by name, as a user does; tests resolve it to the sources.
  resolve: { alias: [{ find: /^tradelab\/testkit$/, replacement: src("testkit/index.ts") }, { find: /^tradelab$/, replacement: src("index.ts") }] },
  test: {
    include: ["ts/src/**/*.test.ts", "ts/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // CLI runs without --registry record into $TRADELAB_REGISTRY: one temp registry per test run,
    // never ./tradelab-runs.sqlite in the checkout (tests that need their own pass --registry).
    env: { TRADELAB_REGISTRY: process.env.TRADELAB_REGISTRY ?? path.join(tmpdir(), `tradelab-test-runs-${process.pid}.sqlite`) },
  },
});
