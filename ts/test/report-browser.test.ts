/**
 * End-to-end test of the HTML report: a real backtest on the bundled store, rendered to a file,
 * opened in headless Chromium (Debian `chromium`, or $TRADELAB_CHROMIUM) through playwright-core.
 * Asserts every chart drew pixels, the assumptions are stated, and the page logged no errors;
 * saves test-artifacts/report.png.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backtestReportRun, writeReport } from "../src/report/index.js";
import { backtest } from "../src/sim.js";
import { chromiumPath } from "../src/testing/chromium.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const executablePath = chromiumPath();

describe.skipIf(!executablePath)("HTML report in headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: executablePath!, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("renders every chart of real SOL/USDT band backtests offline and saves a screenshot", async () => {
    const strategy = { kind: "band" as const, buyOffset: 0.01, sellOffset: 0.01, buyFrac: 1, sellFrac: 1 };
    const common = { store: path.join(repoRoot, "data/store"), symbol: "SOL/USDT", interval: "1h", strategy, params: { decisionLag: 1, makerFee: 0.001 } };
    // Two sections, as a train/eval report has (validation, then the locked test window).
    const val = await backtest({ ...common, from: "2024-01-01", to: "2024-06-01" });
    const test = await backtest({ ...common, from: "2024-06-01" });
    expect(val.trades.length).toBeGreaterThan(10);
    const file = path.join(tempDir(), "report.html");
    writeReport(file, {
      title: "SOL/USDT band 1%/1% — backtest",
      generatedAt: Date.UTC(2026, 0, 1),
      subtitle: "report browser test",
      config: { symbol: val.symbol, interval: val.interval, strategy: val.strategy, params: val.params },
      runs: [
        { ...backtestReportRun(val, "validation"), split: "val" },
        { ...backtestReportRun(test, "test (locked)"), split: "test" },
      ],
    });
    const html = readFileSync(file, "utf8");
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
    page.on("request", (req) => {
      if (!req.url().startsWith("file:")) requests.push(req.url());
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector("body[data-rendered]");

    const charts = await page.evaluate(() => {
      return Array.from(document.querySelectorAll<HTMLElement>(".chart")).map((el) => {
        const canvas = el.querySelector("canvas");
        let inked = 0;
        if (canvas) {
          const ctx = canvas.getContext("2d");
          const img = ctx?.getImageData(0, 0, canvas.width, canvas.height).data;
          // count pixels that are not fully transparent (echarts leaves the background transparent)
          if (img) for (let i = 3; i < img.length; i += 4) if (img[i]! > 0) inked++;
        }
        return { id: el.id, canvas: Boolean(canvas), width: canvas?.width ?? 0, height: canvas?.height ?? 0, inked };
      });
    });
    expect(charts.map((c) => c.id)).toEqual(["equity-0", "drawdown-0", "monthly-0", "histogram-0", "equity-1", "drawdown-1", "monthly-1", "histogram-1"]);
    for (const c of charts) {
      expect(c.canvas, c.id).toBe(true);
      expect(c.width * c.height, c.id).toBeGreaterThan(0);
      expect(c.inked, `${c.id} drew nothing`).toBeGreaterThan(1000);
    }
    const assumptions = await page.locator(".assumptions").allTextContents();
    expect(assumptions).toHaveLength(2);
    expect(assumptions[0]).toContain("lag 1 · fill cross 5 bps · maker 0.1% / taker 0.1% · split val · window 2024-01-01..2024-05-31");
    expect(assumptions[1]).toContain("lag 1");
    expect(assumptions[1]).toContain("split test · window 2024-06-01..");
    expect(await page.locator(".trades tbody tr").count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);

    const out = path.join(repoRoot, "test-artifacts");
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, "report.png"), fullPage: true });
    expect(existsSync(path.join(out, "report.png"))).toBe(true);
  });
});
