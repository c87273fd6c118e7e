"""Prints the speed ratios against each peer (pandas, polars) and how well they agree per feature.
Usage: python report.py tradelab.json pandas.json [polars.json ...]"""
import json
import sys

t, p = (json.load(open(f)) for f in sys.argv[1:3])
peers = [("pandas", p)] + [(f"polars {q['threads']} thr", q) for q in (json.load(open(f)) for f in sys.argv[3:])]
print(f"\ntradelab {t['seconds']:.3f} s (1 thread) on {t['bars']} bars x {t['features']} features:")
for name, q in peers:
    print(f"  vs {name} {q['seconds']:.3f} s: {q['seconds'] / t['seconds']:.1f}x")
# Recursive indicators are seeded differently (tradelab: Wilder's SMA seed; pandas/polars ewm: the
# first value), so their sums differ slightly; the other features should agree to rounding.
RECURSIVE = ("rsi_", "atr_", "adx_", "ema_")


def agreement(q):
    rel, rows = {}, {}
    for sym, ts in t["perSymbol"].items():
        ps = q["perSymbol"].get(sym.replace("/", "_"))
        if ps is None:
            continue
        for name, a in ts["features"].items():
            b = ps["features"].get(name, {"sum": float("nan"), "finite": 0})
            rel[name] = max(rel.get(name, 0.0), abs(a["sum"] - b["sum"]) / max(abs(b["sum"]), 1e-12))
            rows[name] = max(rows.get(name, 0), abs(a["finite"] - b["finite"]))
    return rel, rows


# One polars run is enough for agreement (thread count does not change the values).
table = [(name, *agreement(q)) for name, q in peers[:2]]
head = "".join(f" {name + ' rel. diff':>20} {'rows diff':>9}" for name, _, _ in table)
print(f"{'feature':18}{head}")
for feat in table[0][1]:
    tag = "  (seeded differently)" if feat.startswith(RECURSIVE) else ""
    cells = "".join(f" {rel.get(feat, float('nan')):20.2e} {rows.get(feat, -1):9d}" for _, rel, rows in table)
    print(f"{feat:18}{cells}{tag}")
