"""The same feature set with pandas (rolling/ewm on a complete hourly grid so gaps give NaN, the
usual pandas idiom), timed best of 3 on one thread. Writes per-feature sums over finite rows.
Usage: python pandas_features.py <out.json> <feather>..."""
import json
import sys
import time

import numpy as np
import pandas as pd

H = pd.Timedelta(hours=1)


def features(df: pd.DataFrame) -> pd.DataFrame:
    full = pd.date_range(df.index[0], df.index[-1], freq="1h")
    g = df.reindex(full)  # missing hours -> NaN rows, so windows spanning a gap are NaN
    c, h, l, v = g["close"], g["high"], g["low"], g["volume"]
    run = g["close"].isna().cumsum()  # run id: restart recursive indicators after a gap
    out = {}
    r1 = c / c.shift(1) - 1
    for k in (1, 4, 24):
        # invalid unless all k+1 bars exist (a missing bar inside the window voids it)
        out[f"ret_{k}"] = (c / c.shift(k) - 1).where(c.rolling(k + 1, min_periods=1).count() == k + 1)
    out["logret_1"] = np.log(c / c.shift(1))
    sma = {w: c.rolling(w, min_periods=w).mean() for w in (24, 72, 168)}
    for w in (24, 72, 168):
        out[f"ma_delta_{w}"] = c / sma[w] - 1
    out["ma_ratio_24_72"] = sma[24] / sma[72] - 1
    out["ma_ratio_72_168"] = sma[72] / sma[168] - 1
    for w in (24, 168):
        out[f"vol_{w}"] = r1.rolling(w, min_periods=w).std()
    out["range_pct"] = (h - l) / c
    vm, vs = v.rolling(168, min_periods=168).mean(), v.rolling(168, min_periods=168).std()
    out["volume_z_168"] = ((v - vm) / vs).where(vs > 1e-12 * vm.abs().clip(lower=1), 0.0).where(vm.notna())

    def wilder(x, p=14):
        return x.groupby(run).transform(lambda s: s.ewm(alpha=1 / p, adjust=False, min_periods=p).mean())

    d = c.diff()
    ag, al = wilder(d.clip(lower=0)), wilder((-d).clip(lower=0))
    out["rsi_14"] = 100 - 100 / (1 + ag / al)
    pc = c.shift(1)
    tr = pd.concat([h - l, (h - pc).abs(), (l - pc).abs()], axis=1).max(axis=1, skipna=False)
    atr = wilder(tr)
    out["atr_pct_14"] = atr / c
    up, dn = h.diff(), -l.diff()
    pdm = up.where((up > dn) & (up > 0), 0.0).where(up.notna())
    mdm = dn.where((dn > up) & (dn > 0), 0.0).where(dn.notna())
    pdi, mdi = 100 * wilder(pdm) / atr, 100 * wilder(mdm) / atr
    dx = 100 * (pdi - mdi).abs() / (pdi + mdi)
    out["adx_14"] = wilder(dx)
    for s in (24, 168):
        e = c.groupby(run).transform(lambda x: x.ewm(span=s, adjust=False, min_periods=s).mean())
        out[f"ema_delta_{s}"] = c / e - 1
    hour, dow = full.hour.to_numpy(), full.day_of_week.to_numpy()
    out["hour_sin"], out["hour_cos"] = np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24)
    out["dow_sin"], out["dow_cos"] = np.sin(2 * np.pi * dow / 7), np.cos(2 * np.pi * dow / 7)
    return pd.DataFrame(out, index=full).reindex(df.index)


def main():
    out_path, files = sys.argv[1], sys.argv[2:]
    data = {}
    for f in files:
        df = pd.read_feather(f)
        df = df.set_index(pd.to_datetime(df["date"], utc=True))[["open", "high", "low", "close", "volume"]].astype("float64")
        data[f.split("/")[-1].split("-")[0]] = df
    best, frames = float("inf"), {}
    for _ in range(3):
        t0 = time.perf_counter()
        frames = {k: features(df) for k, df in data.items()}
        best = min(best, time.perf_counter() - t0)
    per = {}
    for k, fr in frames.items():
        per[k] = {"bars": len(fr), "features": {n: {"finite": int(np.isfinite(fr[n]).sum()), "sum": float(fr[n][np.isfinite(fr[n])].sum())} for n in fr.columns}}
    bars = sum(len(d) for d in data.values())
    json.dump({"seconds": best, "bars": bars, "datasets": len(data), "pandas": pd.__version__, "perSymbol": per}, open(out_path, "w"), indent=1)
    print(f"pandas {pd.__version__}: {len(data)} datasets, {bars} bars: {best:.3f} s (best of 3)")


main()
