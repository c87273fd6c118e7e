/** The built-in EdgeSelector on hand-built candidates: the selection sequence is known in advance. */
import { describe, expect, it } from "vitest";
import { EdgeSelector, type Candidate, type PositionView, type SelectContext } from "./selector.js";

interface Orders {
  buys: [string, number, number][];
  sells: [string, number, number][];
  /** Contingent buys: symbol, price, fraction of the exit's proceeds, the exit's symbol. */
  after: [string, number, number, string][];
}

/** A context over plain objects: edges per symbol, positions held. */
function ctx(step: number, symbols: string[], edges: number[], held: number[], extra: Partial<Candidate>[] = []): { c: SelectContext; o: Orders } {
  const o: Orders = { buys: [], sells: [], after: [] };
  const c: SelectContext = {
    ts: step * 3_600_000,
    step,
    symbols,
    cash: 1000,
    equity: 1000,
    candidate: (k: number): Candidate => ({
      index: k,
      symbol: symbols[k] ?? "",
      available: true,
      buyPrice: 100,
      buyFrac: 1,
      sellPrice: 101,
      sellFrac: 1,
      edge: edges[k] ?? NaN,
      predHigh: NaN,
      predLow: NaN,
      predClose: NaN,
      close: 100,
      fillable: null,
      dip: null,
      shortEdge: NaN,
      ...extra[k],
    }),
    position: (k: number): PositionView => ({ qty: held[k] ?? 0, avgEntry: 100, heldBars: held[k] ? 1 : NaN }),
    available: (k) => c.candidate(k).available,
    edge: (k) => c.candidate(k).edge,
    buyPrice: (k) => c.candidate(k).buyPrice,
    buyFrac: (k) => c.candidate(k).buyFrac,
    sellPrice: (k) => c.candidate(k).sellPrice,
    sellFrac: (k) => c.candidate(k).sellFrac,
    fillable: (k) => c.candidate(k).fillable,
    dip: (k) => c.candidate(k).dip,
    shortEdge: (k) => c.candidate(k).shortEdge,
    qty: (k) => held[k] ?? 0,
    buy: (k, price, frac) => o.buys.push([symbols[k] ?? "", price, frac]),
    sell: (k, price, frac) => o.sells.push([symbols[k] ?? "", price, frac]),
    buyAfterExit: (k, price, frac, exit) => o.after.push([symbols[k] ?? "", price, frac, symbols[exit] ?? ""]),
  };
  return { c, o };
}

describe("EdgeSelector", () => {
  const syms = ["SOL/USDT", "BTC/USDT", "ETH/USDT"];

  it("enters the best edge above minEdge, ties broken by symbol name", () => {
    const s = new EdgeSelector({ minEdge: 0.001 });
    const a = ctx(0, syms, [0.002, 0.003, 0.003], [0, 0, 0]);
    s.select(a.c);
    expect(a.o.buys).toEqual([["BTC/USDT", 100, 1]]);
    const b = ctx(1, syms, [0.0005, 0.0009, NaN], [0, 0, 0]);
    s.select(b.c);
    expect(b.o.buys).toEqual([]);
  });

  it("exits what it holds, enters only into free slots, and splits cash across them", () => {
    const s = new EdgeSelector({ maxPositions: 2 });
    const a = ctx(0, syms, [0.01, 0.02, 0.03], [1, 0, 0]);
    s.select(a.c);
    expect(a.o.sells).toEqual([["SOL/USDT", 101, 1]]);
    expect(a.o.buys).toEqual([["ETH/USDT", 100, 1]]);
    const full = ctx(1, syms, [0.01, 0.02, 0.03], [1, 0, 2]);
    s.select(full.c);
    expect(full.o.buys).toEqual([]);
    const two = ctx(2, syms, [0.01, 0.02, 0.03], [0, 0, 0]);
    s.select(two.c);
    expect(two.o.buys).toEqual([
      ["ETH/USDT", 100, 0.5],
      ["BTC/USDT", 100, 0.5],
    ]);
  });

  it("waits cooldownBars after an exit before re-entering that symbol", () => {
    const s = new EdgeSelector({ cooldownBars: 2 });
    const seq: string[] = [];
    const held = [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]];
    held.forEach((h, step) => {
      const x = ctx(step, syms, [0.05, 0.01, NaN], h);
      s.select(x.c);
      seq.push(x.o.buys.map((b) => b[0]).join(",") || "-");
    });
    // Step 1 sees SOL closed: SOL waits steps 1 and 2, BTC is entered meanwhile.
    expect(seq).toEqual(["-", "BTC/USDT", "BTC/USDT", "SOL/USDT"]);
  });

  it("work stealing exits a winner when another symbol's edge beats its unrealised return", () => {
    const s = new EdgeSelector({ workStealing: { minProfit: 0.001, minEdge: 0.005 } });
    // SOL held, entered at 100, decision close 101 (+1 %): BTC's edge 0.02 beats it -> exit at 101 x 0.998.
    const a = ctx(0, syms, [NaN, 0.02, 0.001], [1, 0, 0], [{ close: 101 }]);
    s.select(a.c);
    expect(a.o.sells).toEqual([["SOL/USDT", 101 * 0.998, 1]]);
    // An edge below the winner's return keeps the normal exit at its sell limit.
    const b = ctx(1, syms, [NaN, 0.008, 0.001], [1, 0, 0], [{ close: 101 }]);
    s.select(b.c);
    expect(b.o.sells).toEqual([["SOL/USDT", 101, 1]]);
    // A loser is never stolen from.
    const c = ctx(2, syms, [NaN, 0.05, 0.001], [1, 0, 0], [{ close: 99 }]);
    s.select(c.c);
    expect(c.o.sells).toEqual([["SOL/USDT", 101, 1]]);
  });

  it("selectFillableOnly keeps only candidates the lookahead says fill", () => {
    const s = new EdgeSelector({ selectFillableOnly: true });
    const x = ctx(0, syms, [0.05, 0.01, 0.02], [0, 0, 0], [{ fillable: false }, { fillable: true }, { fillable: null }]);
    s.select(x.c);
    expect(x.o.buys).toEqual([["BTC/USDT", 100, 1]]);
    expect(() => new EdgeSelector({ maxPositions: 0 })).toThrow(/maxPositions/);
    const d = new EdgeSelector({ dipFilter: true });
    const y = ctx(0, syms, [0.05, 0.01, 0.02], [0, 0, 0], [{ dip: false }, { dip: null }, { dip: true }]);
    d.select(y.c);
    expect(y.o.buys).toEqual([["ETH/USDT", 100, 1]]);
  });

  it("shorts: the better side per symbol enters, a short covers at its buy limit", () => {
    const s = new EdgeSelector({ minEdge: 0.001, maxPositions: 2 });
    // SOL: short edge 0.004 beats its long 0.002; BTC long 0.003; ETH short 0.0005 is below minEdge.
    const a = ctx(0, syms, [0.002, 0.003, NaN], [0, 0, 0], [{ shortEdge: 0.004 }, {}, { shortEdge: 0.0005 }]);
    s.select(a.c);
    expect(a.o.sells).toEqual([["SOL/USDT", 101, 0.5]]);
    expect(a.o.buys).toEqual([["BTC/USDT", 100, 0.5]]);
    // Held short: the exit is a cover at the buy limit (fraction of the short), never a sell.
    const b = ctx(1, syms, [NaN, NaN, NaN], [-3, 0, 0], [{ buyFrac: 0.7 }]);
    s.select(b.c);
    expect(b.o.buys).toEqual([["SOL/USDT", 100, 0.7]]);
    expect(b.o.sells).toEqual([]);
    // An equal long and short edge keeps the long; selectFillableOnly keeps longs only.
    const c = ctx(2, syms, [0.004, NaN, NaN], [0, 0, 0], [{ shortEdge: 0.004 }]);
    new EdgeSelector({}).select(c.c);
    expect(c.o.buys).toEqual([["SOL/USDT", 100, 1]]);
    expect(c.o.sells).toEqual([]);
    const d = ctx(3, syms, [NaN, NaN, NaN], [0, 0, 0], [{ shortEdge: 0.01, fillable: true }]);
    new EdgeSelector({ selectFillableOnly: true }).select(d.c);
    expect(d.o.sells).toEqual([]);
  });

  it("allowReentrySameBar: a full slot's exit funds a contingent entry on the next-best candidate", () => {
    // SOL held (1 slot, full): without the option nothing is entered this bar.
    const plain = ctx(0, syms, [0.05, 0.02, 0.03], [1, 0, 0]);
    new EdgeSelector({}).select(plain.c);
    expect(plain.o.after).toEqual([]);
    expect(plain.o.buys).toEqual([]);
    // With it, SOL's exit funds the best candidate, which may be SOL itself (its edge is highest).
    const s = new EdgeSelector({ allowReentrySameBar: true });
    expect(s.describe()).toMatch(/same-bar re-entry/);
    const a = ctx(0, syms, [0.05, 0.02, 0.03], [1, 0, 0]);
    s.select(a.c);
    expect(a.o.sells).toEqual([["SOL/USDT", 101, 1]]);
    expect(a.o.after).toEqual([["SOL/USDT", 100, 1, "SOL/USDT"]]);
    expect(a.o.buys).toEqual([]);
    // With a free slot too: the free slot takes the best flat candidate (ETH), the exit the next (BTC).
    const two = new EdgeSelector({ allowReentrySameBar: true, maxPositions: 2, cooldownBars: 1 });
    const b = ctx(1, syms, [0.05, 0.02, 0.03], [1, 0, 0]);
    two.select(b.c);
    expect(b.o.buys).toEqual([["ETH/USDT", 100, 1]]);
    expect(b.o.after).toEqual([["BTC/USDT", 100, 1, "SOL/USDT"]]);
    // Below minEdge nothing re-enters.
    const c = ctx(2, syms, [0.0001, NaN, NaN], [1, 0, 0]);
    new EdgeSelector({ allowReentrySameBar: true, minEdge: 0.001 }).select(c.c);
    expect(c.o.after).toEqual([]);
  });
});
