/** Secrets never leave the process (issue #11, audit #130), and download windows that cannot hold bars are refused. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { redact, redactDeep } from "../src/redact.js";
import { runCli } from "../src/testing/cli.js";
import { fakeExchange } from "../src/testing/fake-exchange.js";
import { tempDir } from "../src/testing/paths.js";

const KEYS = { APCA_API_KEY_ID: "LEAKCHECK123", APCA_API_SECRET_KEY: "LEAKSECRET456", TRADELAB_RETRY_MIN_MS: "1", NO_COLOR: "1" };

/** An HTTP server on 127.0.0.1 that answers every request with `status` and the request headers in the body. */
function echoServer(status: number): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "echo", url: req.url, headers: req.headers }));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("hostile: secrets", () => {
  for (const status of [400, 401, 403, 500]) {
    it(`an HTTP ${status} body echoing the request headers leaks no key (stderr, --json, store)`, async () => {
      const srv = await echoServer(status);
      try {
        const dir = tempDir();
        const store = path.join(dir, "s");
        const args = ["data", "download", "--exchange", "alpaca", "--base-url", srv.url, "--retries", "0", "--symbols", "BTC/USD", "--since", "2025-02-01", "--until", "2025-02-03", "--store", store];
        for (const extra of [[], ["--json"]]) {
          const r = await runCli([...args, ...extra], KEYS);
          expect(r.code).toBe(1);
          const all = r.stdout + r.stderr;
          expect(all).toContain(String(status));
          expect(all).not.toContain("LEAKCHECK123");
          expect(all).not.toContain("LEAKSECRET456");
          expect(all).toContain("[REDACTED]");
        }
        for (const f of filesUnder(dir)) expect(readFileSync(f).includes("LEAK"), f).toBe(false);
      } finally {
        await srv.close();
      }
    }, 60_000);
  }

  it("redact() covers configured values and typical header names", () => {
    const text = `{"apca-api-key-id":"K1","Authorization":"Bearer abc.def","x-mbx-apikey":"zzz","other":"LEAKVALUE9"} cookie: s=1`;
    const out = redact(text, ["LEAKVALUE9"]);
    for (const s of ["K1", "abc.def", "zzz", "LEAKVALUE9", "s=1"]) expect(out).not.toContain(s);
    expect(JSON.parse(out.replace(/ cookie:.*$/, ""))).toMatchObject({ "apca-api-key-id": "[REDACTED]", other: "[REDACTED]" });
    expect(redactDeep({ a: ["x LEAKVALUE9 y"], n: 1 }, ["LEAKVALUE9"])).toEqual({ a: ["x [REDACTED] y"], n: 1 });
  });
});

describe("hostile: download windows", () => {
  it("--since in the future or after --until is refused (audit #124, #125)", async () => {
    const store = path.join(tempDir(), "d");
    const base = ["data", "download", "--base-url", "http://127.0.0.1:9", "--symbols", "BTC/USDT", "--store", store];
    const future = await runCli([...base, "--since", "2030-01-01"], { TRADELAB_NOW_MS: "2026-01-01T00:00:00Z" });
    expect(future.code).toBe(1);
    expect(future.stderr).toContain("--since 2030-01-01T00:00:00Z is in the future");
    const inverted = await runCli([...base, "--since", "2025-06-01", "--until", "2025-01-01"]);
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain("is not before --until");
    const funding = await runCli(["data", "funding", "--base-url", "http://127.0.0.1:9", "--symbols", "BTC/USDT:USDT", "--store", store, "--since", "2025-06-01", "--until", "2025-01-01"]);
    expect(funding.code).toBe(1);
    expect(existsSync(store)).toBe(false);
  });

  it("Alpaca with an interval it does not serve fails instead of reporting ok with 0 bars (audit #128)", async () => {
    fx = await fakeExchange();
    for (const iv of ["3m", "2h"]) {
      const store = path.join(tempDir(), "d");
      const r = await runCli(["data", "download", "--exchange", "alpaca", "--base-url", fx.url, "--symbols", "BTC/USD", "--interval", iv, "--since", "2025-02-01", "--until", "2025-02-03", "--store", store, "--json"], KEYS);
      expect(r.code, iv).toBe(1);
      const j = JSON.parse(r.stdout) as { symbols: { ok: boolean; error: string }[] };
      expect(j.symbols[0]?.ok).toBe(false);
      expect(j.symbols[0]?.error).toContain(`may not serve ${iv} bars`);
    }
  }, 60_000);
});
