"""Prints the speed ratio and how well the two implementations agree per feature."""
import json
import sys

t, p = (json.load(open(f)) for f in sys.argv[1:3])
print(f"\ntradelab {t['seconds']:.3f} s vs pandas {p['seconds']:.3f} s on {t['bars']} bars x {t['features']} features: "
      f"{p['seconds'] / t['seconds']:.1f}x faster")
# Recursive indicators are seeded differently (tradelab: Wilder's SMA seed; pandas ewm: the first
# value), so their sums differ slightly; the other features should agree to rounding.
RECURSIVE = ("rsi_", "atr_", "adx_", "ema_")
rel, rows = {}, {}
for sym, ts in t["perSymbol"].items():
    ps = p["perSymbol"].get(sym.replace("/", "_"))
    if ps is None:
        continue
    for name, a in ts["features"].items():
        b = ps["features"].get(name, {"sum": float("nan"), "finite": 0})
        rel[name] = max(rel.get(name, 0.0), abs(a["sum"] - b["sum"]) / max(abs(b["sum"]), 1e-12))
        rows[name] = max(rows.get(name, 0), abs(a["finite"] - b["finite"]))
print(f"{'feature':18} {'max rel. diff of sums':>22} {'max finite-row diff':>20}")
for name in rel:
    tag = "  (seeded differently)" if name.startswith(RECURSIVE) else ""
    print(f"{name:18} {rel[name]:22.2e} {rows[name]:20d}{tag}")
