"""vectorbt side of the sweep benchmark: the same EMA grid, signals, fills and fees.

Signals: long while EMA(fast) > EMA(slow), flat while EMA(fast) < EMA(slow), from bar slow-1 on
(EMA seeded with the first close, alpha = 2/(n+1): tradelab's definition). Decided at bar t's
close, executed at bar t+1's open (signals shifted one bar, price=open), all cash, fees both sides.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import pyarrow.feather as feather
import vectorbt as vbt
from numba import njit

feather_path, tradelab_json, out_path = sys.argv[1:4]

FAST = list(range(2, 42))
SLOW = [50 + 10 * i for i in range(25)]
FEE, CASH = 0.001, 10000.0

df = feather.read_table(feather_path).to_pandas()
close = df["close"].to_numpy(np.float64)
open_ = df["open"].to_numpy(np.float64)
idx = pd.DatetimeIndex(df["date"])


@njit(cache=False)
def ema(x, w):
    # Same arithmetic as tradelab's ema (e += alpha * (v - e)), so signals match bit for bit.
    a = 2.0 / (w + 1.0)
    out = np.empty_like(x)
    e = x[0]
    for i in range(len(x)):
        e += a * (x[i] - e)
        out[i] = e
    return out


def run():
    emas = {w: ema(close, w) for w in sorted(set(FAST) | set(SLOW))}
    cols, ent, ext = [], [], []
    n = len(close)
    for s in SLOW:
        for f in FAST:
            live = np.arange(n) >= s - 1
            e = live & (emas[f] > emas[s])
            x = live & (emas[f] < emas[s])
            # decided at close t -> executed at open t+1
            ent.append(np.concatenate([[False], e[:-1]]))
            ext.append(np.concatenate([[False], x[:-1]]))
            cols.append(f"{f}/{s}")
    entries = pd.DataFrame(np.column_stack(ent), index=idx, columns=cols)
    exits = pd.DataFrame(np.column_stack(ext), index=idx, columns=cols)
    pf = vbt.Portfolio.from_signals(
        pd.Series(close, index=idx), entries, exits, price=pd.Series(open_, index=idx),
        fees=FEE, init_cash=CASH, size=np.inf, accumulate=False, freq="1h",
    )
    return pf.final_value()


# warm-up: numba compilation happens on the first call; do not count it
ema(close[:100], 3)
vbt.Portfolio.from_signals(pd.Series(close[:300]), pd.Series(np.arange(300) % 7 == 0), pd.Series(np.arange(300) % 7 == 3),
                           price=pd.Series(open_[:300]), fees=FEE, init_cash=CASH, size=np.inf)
# Best of 3 timed runs, as on the tradelab side.
wall = float("inf")
for _ in range(3):
    t0 = time.perf_counter()
    finals = run()
    wall = min(wall, time.perf_counter() - t0)

tl = json.load(open(tradelab_json))["finals"]
rel = [abs(finals[k] - tl[k]) / abs(tl[k]) for k in tl]
checked = ["2/50", "12/100", "41/290", "20/150"]
json.dump({"wall": wall, "sets": len(finals), "max_rel_diff_all": max(rel),
           "checked": {k: [tl[k], float(finals[k])] for k in checked}}, open(out_path, "w"))
print(f"vectorbt {vbt.__version__}: {len(finals)} sets in {wall:.3f} s wall, best of 3")
for k in checked:
    print(f"  final equity {k}: tradelab {tl[k]:.6f}  vectorbt {finals[k]:.6f}")
