"""The same feature set as pandas_features.py, written the way a polars user would: lazy expressions
on a complete hourly grid (upsample, so gaps give nulls), recursive indicators restarted after a gap
with `.over(run)`, all 14 symbols collected together (`collect_all`). No Python loops over rows.
Timed best of 3; threads from POLARS_MAX_THREADS (set by run.sh). Writes per-feature sums over
finite rows, like pandas_features.py.
Usage: python polars_features.py <out.json> <feather>..."""
import json
import math
import sys
import time

import polars as pl


FEATURES = [
    "ret_1", "ret_4", "ret_24", "logret_1", "ma_delta_24", "ma_delta_72", "ma_delta_168", "ma_ratio_24_72", "ma_ratio_72_168",
    "vol_24", "vol_168", "range_pct", "volume_z_168", "rsi_14", "atr_pct_14", "adx_14", "ema_delta_24", "ema_delta_168",
    "hour_sin", "hour_cos", "dow_sin", "dow_cos",
]


def wilder(x: pl.Expr, p: int = 14) -> pl.Expr:
    return x.ewm_mean(alpha=1 / p, adjust=False, min_samples=p, ignore_nulls=True).over("run")


def features(df: pl.DataFrame) -> pl.LazyFrame:
    # upsample is eager-only in polars 2: the grid is built here, the rest is one lazy plan.
    g = df.with_columns(pl.lit(True).alias("orig")).sort("date").upsample("date", every="1h").lazy()
    c, h, l, v = pl.col("close"), pl.col("high"), pl.col("low"), pl.col("volume")
    g = g.with_columns(run=c.is_null().cum_sum())
    r1 = c / c.shift(1) - 1
    present = c.is_not_null().cast(pl.Int32)
    ex = []
    for k in (1, 4, 24):
        ex.append(pl.when(present.rolling_sum(k + 1, min_samples=1) == k + 1).then(c / c.shift(k) - 1).alias(f"ret_{k}"))
    ex.append((c / c.shift(1)).log().alias("logret_1"))
    sma = {w: c.rolling_mean(w, min_samples=w) for w in (24, 72, 168)}
    for w in (24, 72, 168):
        ex.append((c / sma[w] - 1).alias(f"ma_delta_{w}"))
    ex.append((sma[24] / sma[72] - 1).alias("ma_ratio_24_72"))
    ex.append((sma[72] / sma[168] - 1).alias("ma_ratio_72_168"))
    for w in (24, 168):
        ex.append(r1.rolling_std(w, min_samples=w).alias(f"vol_{w}"))
    ex.append(((h - l) / c).alias("range_pct"))
    vm, vs = v.rolling_mean(168, min_samples=168), v.rolling_std(168, min_samples=168)
    ex.append(pl.when(vm.is_null()).then(None).when(vs > 1e-12 * vm.abs().clip(lower_bound=1)).then((v - vm) / vs).otherwise(0.0).alias("volume_z_168"))
    # Recursive indicators in stages, each stage's `.over("run")` windows in one context (polars
    # shares the grouping between them).
    d, up, dn, pc = c.diff(), h.diff(), -l.diff(), c.shift(1)
    base = [
        d.clip(lower_bound=0).alias("_gain"),
        (-d).clip(lower_bound=0).alias("_loss"),
        pl.when(pc.is_not_null() & c.is_not_null()).then(pl.max_horizontal(h - l, (h - pc).abs(), (l - pc).abs())).alias("_tr"),
        pl.when(up.is_null()).then(None).when((up > dn) & (up > 0)).then(up).otherwise(0.0).alias("_pdm"),
        pl.when(dn.is_null()).then(None).when((dn > up) & (dn > 0)).then(dn).otherwise(0.0).alias("_mdm"),
    ]
    col = pl.col
    smooth = [wilder(col(n)).alias(f"{n}_w") for n in ("_gain", "_loss", "_tr", "_pdm", "_mdm")]
    smooth += [c.ewm_mean(span=s, adjust=False, min_samples=s, ignore_nulls=True).over("run").alias(f"_ema{s}") for s in (24, 168)]
    atr = col("_tr_w")
    pdi, mdi = 100 * col("_pdm_w") / atr, 100 * col("_mdm_w") / atr
    derived = [
        (100 - 100 / (1 + col("_gain_w") / col("_loss_w"))).alias("rsi_14"),
        (atr / c).alias("atr_pct_14"),
        (100 * (pdi - mdi).abs() / (pdi + mdi)).alias("_dx"),
        (c / col("_ema24") - 1).alias("ema_delta_24"),
        (c / col("_ema168") - 1).alias("ema_delta_168"),
    ]
    hour = pl.col("date").dt.hour().cast(pl.Float64)
    dow = (pl.col("date").dt.weekday() - 1).cast(pl.Float64)  # Monday = 0, as pandas
    ex += [
        (2 * math.pi * hour / 24).sin().alias("hour_sin"),
        (2 * math.pi * hour / 24).cos().alias("hour_cos"),
        (2 * math.pi * dow / 7).sin().alias("dow_sin"),
        (2 * math.pi * dow / 7).cos().alias("dow_cos"),
    ]
    g = g.with_columns(ex + base).with_columns(smooth).with_columns(derived).with_columns(wilder(col("_dx")).alias("adx_14"))
    keep = [n for n in FEATURES]
    return g.filter(pl.col("orig").is_not_null()).select(["date", *keep])


def main():
    out_path, files = sys.argv[1], sys.argv[2:]
    data = {}
    for f in files:
        df = pl.read_ipc(f).select(
            pl.col("date").dt.convert_time_zone("UTC") if pl.read_ipc_schema(f)["date"].time_zone else pl.col("date").dt.replace_time_zone("UTC"),
            *(pl.col(n).cast(pl.Float64) for n in ("open", "high", "low", "close", "volume")),
        )
        data[f.split("/")[-1].split("-")[0]] = df
    best, frames = float("inf"), {}
    for _ in range(3):
        t0 = time.perf_counter()
        outs = pl.collect_all([features(df) for df in data.values()])
        best = min(best, time.perf_counter() - t0)
        frames = dict(zip(data.keys(), outs))
    per = {}
    for k, fr in frames.items():
        feats = {}
        for n in fr.columns:
            if n == "date":
                continue
            s = fr[n].fill_nan(None).drop_nulls()
            s = s.filter(s.is_finite())
            feats[n] = {"finite": len(s), "sum": float(s.sum())}
        per[k] = {"bars": fr.height, "features": feats}
    bars = sum(d.height for d in data.values())
    json.dump({"seconds": best, "bars": bars, "datasets": len(data), "polars": pl.__version__, "threads": pl.thread_pool_size(), "perSymbol": per}, open(out_path, "w"), indent=1)
    print(f"polars {pl.__version__} ({pl.thread_pool_size()} threads): {len(data)} datasets, {bars} bars: {best:.3f} s (best of 3)")


main()
