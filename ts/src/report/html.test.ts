import { describe, expect, it } from "vitest";
import type { Metrics, SimLabel } from "../sim.js";
import { esc, inlineScript, scriptJson } from "./html.js";
import { renderReport, type ReportRun } from "./index.js";

const label: SimLabel = { decisionLag: 1, fillRule: "touch", makerFee: 0.001, takerFee: 0.002, periodsPerYear: 8760, optimistic: false, warnings: [], cautions: [], text: "lag 1, touch" };
const metrics: Metrics = {
  bars: 3, startEquity: 100, endEquity: 110, totalReturn: 0.1, annualisedReturn: 1, sharpe: 1, sortino: 2, downsideDeviation: 0.1,
  maxDrawdown: -0.05, maxDrawdownBars: 1, calmar: 3, annualisedMeaningful: false, tradeCount: 0, roundTrips: 0, winRate: 0, exposure: 0, turnover: 0, feesPaid: 0, lastWindow: null,
};
const run = (over: Partial<ReportRun> = {}): ReportRun => ({
  name: "val <b>",
  symbol: "SOL/USDT",
  interval: "1h",
  split: "val",
  assumptions: label,
  window: { first: Date.UTC(2024, 0, 1), last: Date.UTC(2024, 0, 1, 2), bars: 3 },
  metrics,
  trades: [],
  roundTrips: [],
  curve: { ts: [0, 3_600_000, 7_200_000], equity: [100, 105, 110], close: [1, 2, 3] },
  ...over,
});

describe("report html", () => {
  it("escapes text and keeps embedded JSON and scripts inside their elements", () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(scriptJson({ s: "</script><!--" })).not.toMatch(/<\/script|<!--/i);
    expect(JSON.parse(scriptJson({ s: "</script>\u2028" }))).toEqual({ s: "</script>\u2028" });
    expect(inlineScript('var a="</SCRIPT>"')).toBe('var a="<\\/SCRIPT>"');
  });

  it("renders a self-contained page with assumptions stated and no network URLs", () => {
    const html = renderReport({ title: "T & <x>", generatedAt: 0, config: { note: "</script>" }, runs: [run()] });
    expect(html).toContain("<title>T &amp; &lt;x&gt;</title>");
    expect(html).toContain("val &lt;b&gt;");
    expect(html).toContain("(not meaningful: under 3 months of bars)");
    expect(html).toContain("lag 1 · fill touch · maker 0.1% / taker 0.2% · split val · window 2024-01-01..2024-01-01 (3 bars)");
    expect(html).not.toContain("OPTIMISTIC");
    expect(html).not.toMatch(/\b(src|href)=["']?https?:/i);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    for (const id of ["equity-0", "drawdown-0", "monthly-0", "histogram-0"]) expect(html).toContain(`id="${id}"`);
    // pure: same input, same output
    expect(renderReport({ title: "T & <x>", generatedAt: 0, config: { note: "</script>" }, runs: [run()] })).toBe(html);
  });

  it("flags optimistic assumptions in red and rejects malformed curves", () => {
    const html = renderReport({ title: "t", config: {}, runs: [run({ assumptions: { ...label, decisionLag: 0, optimistic: true, warnings: ["lag 0 fills on the decision bar"] } })] });
    expect(html).toContain('<div class="optimistic"><strong>OPTIMISTIC</strong>');
    expect(html).toContain("lag 0 fills on the decision bar");
    expect(() => renderReport({ title: "t", config: {}, runs: [run({ curve: { ts: [1], equity: [1, 2], close: [1] } })] })).toThrow(/curve columns differ/);
    expect(() => renderReport({ title: "t", config: {}, runs: [] })).toThrow(/no runs/);
  });
});
