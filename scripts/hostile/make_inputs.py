"""Writes the CSV / JSON inputs of scripts/hostile/run.sh (the reliability audit's in/*.csv, cfg/*.json).

Valid bars: 10 hourly bars, o = 100 + i, h = o + 2, l = o - 2, c = o + 1, v = 1000 + i. The audit's
faulty files start at 2024-12-02 (new times: a silent accept would change the store); the
"unchanged" variants repeat the 2024-12-01 bars already stored in the s1 fixture.
"""
import json, os, sys
from datetime import datetime, timezone

out = sys.argv[1]
inp, cfg = os.path.join(out, "in"), os.path.join(out, "cfg")
os.makedirs(inp, exist_ok=True)
os.makedirs(cfg, exist_ok=True)
H = 3_600_000
D1 = int(datetime(2024, 12, 1, tzinfo=timezone.utc).timestamp() * 1000)
D2 = D1 + 24 * H
HEAD = "timestamp,open,high,low,close,volume"


def iso(ms, z=True):
    s = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return s + ("Z" if z else "")


def rows(t0=D1, n=10, ts=lambda t: iso(t)):
    return [[ts(t0 + i * H), 100 + i, 102 + i, 98 + i, 101 + i, 1000 + i] for i in range(n)]


def write(name, lines, header=HEAD, sep=",", eol="\n", bom=""):
    with open(os.path.join(inp, name), "w", newline="") as f:
        f.write(bom)
        if header is not None:
            f.write(header.replace(",", sep) + eol)
        for r in lines:
            f.write(sep.join(str(x) for x in r) + eol)


def fault(name, row, col, value, t0=D2):
    r = rows(t0)
    r[row][col] = value
    write(name, r)


write("new_bars.csv", rows())
write("iso_z.csv", rows())
write("iso_noz.csv", rows(ts=lambda t: iso(t, False)))
write("iso_plus5.csv", rows(ts=lambda t: datetime.fromtimestamp(t / 1000, tz=timezone.utc).astimezone().strftime("%Y-%m-%dT%H:%M:%S") + "+05:00"))
write("bom.csv", rows(), bom="\ufeff")
write("crlf.csv", rows(), eol="\r\n")
write("quoted.csv", [[f'"{x}"' for x in r] for r in rows()], header='"timestamp","open","high","low","close","volume"')
write("extra_col.csv", [r + ["x"] for r in rows()], header=HEAD + ",note")
write("semicolon.csv", rows(D1 + 48 * H), sep=";")
mixed = rows(ts=lambda t: t)
for i, r in enumerate(mixed):
    r[0] = [r[0] // 1000, r[0], r[0] * 1000][i % 3]
write("mixed_epochs.csv", mixed)
fault("nan.csv", 3, 4, "NaN")
fault("inf.csv", 4, 2, "inf")
fault("negprice.csv", 5, 1, -5)
fault("high_lt_low.csv", 2, 2, 99)
fault("open_gt_high.csv", 6, 1, 111)
r = rows(D2); r[5][0] = r[4][0]; write("dup.csv", r)
r = rows(D2); r[3], r[4] = r[4], r[3]; write("unsorted.csv", r)
fault("negvol.csv", 7, 5, -10)
fault("zero_close.csv", 3, 4, 0)
write("empty.csv", [], header=None)
write("header_only.csv", [])
write("missing_vol.csv", [r[:5] for r in rows(D2)], header="timestamp,open,high,low,close")
write("missing_low.csv", [r[:3] + r[4:] for r in rows(D2)], header="timestamp,open,high,close,volume")
r = rows(D2); r[5] = r[5][:3]; write("ragged.csv", r)
fault("empty_field.csv", 4, 3, "")
fault("text_price.csv", 2, 1, "abc")
fault("bad_date.csv", 4, 0, "2024-13-45 99:00:00")
fault("huge_epoch.csv", 2, 0, "9999999999999999999")
write("no_ts_col.csv", [r[1:] for r in rows(D2)], header="open,high,low,close,volume")
write("dup_header.csv", [r + [1] for r in rows(D2)], header=HEAD + ",close")
write("neg_epoch.csv", [[-36_000_000 + i * H] + r[1:] for i, r in enumerate(rows(D2))])
write("five_min.csv", [[iso(D2 + i * 300_000)] + r[1:] for i, r in enumerate(rows(D2))])
fault("misaligned.csv", 0, 0, iso(D2 + 7 * 60_000))
write("y1971.csv", rows(int(datetime(1971, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)))
write("SOL_USDT-7m.csv", rows(D2))
for k in range(8):
    write(f"t{k}.csv", rows(D1 + (400 + 20 * k) * 24 * H))  # 2026: after the shared BTC bars
# actions files (SOL/USDT s1: 2024-09-20 .. 2024-11-01 and 2024-12-01)
A = "ts,buy_price,sell_price,buy_frac,sell_frac"
S0 = int(datetime(2024, 9, 21, tzinfo=timezone.utc).timestamp() * 1000)
act = lambda name, lines: write(name, lines, header=A)
act("act_ok.csv", [[S0 + i * H, 1, 1e6, 1, 1] for i in range(5)])
act("act_missing_ts.csv", [[S0, 1, 1e6, 1, 1], ["2030-01-01T00:00:00Z", 1, 1e6, 1, 1]])
act("act_gap_ts.csv", [[S0, 1, 1e6, 1, 1], [int(datetime(2024, 11, 15, tzinfo=timezone.utc).timestamp() * 1000), 1, 1e6, 1, 1]])
act("act_misaligned.csv", [[S0 + 7 * 60_000, 1, 1e6, 1, 1]])
act("act_seconds.csv", [[(S0 + i * H) // 1000, 1e6, 1e-6, 1, 1] for i in range(0, 48, 2)] )
act("act1_bfneg.csv", [[S0, 100, 200, -1, 1]])
act("act1_bf5.csv", [[S0, 100, 200, 5, 1]])
act("act1_bpneg.csv", [[S0, -5, 200, 1, 1]])
act("act_nan.csv", [[S0 + i * H, "NaN" if i == 5 else 1, 1e6, 1, 1] for i in range(8)])
act("act_dup.csv", [[S0, 1, 1e6, 1, 1], [S0, 1, 1e6, 1, 1]])
act("act_unsorted.csv", [[S0 + H, 1, 1e6, 1, 1], [S0, 1, 1e6, 1, 1]])
act("act_empty.csv", [])
with open(os.path.join(inp, "act_bad.json"), "w") as f:
    f.write("[{\"ts\": 1,}")
# sweep configs
base = {"symbol": "BTC/USDT", "interval": "1h", "base": {"decisionLag": 1, "makerFee": 0.001}, "strategy": {"kind": "emaCross", "fast": 12, "slow": 26, "slack": 0.005}, "grid": {"fast": [4, 8], "slow": [48, 72]}}


def c(name, **kw):
    d = json.loads(json.dumps(base))
    for k, v in kw.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    with open(os.path.join(cfg, name + ".json"), "w") as f:
        json.dump(d, f)


c("ok")
c("huge", grid={"fast": list(range(1, 101)), "slow": list(range(101, 201)), "slack": [i * 1e-3 for i in range(10)], "makerFee": [i * 1e-4 for i in range(100)]})
c("huge1e12", grid={"fast": list(range(1, 1001)), "slow": list(range(2, 1002)), "slack": [i * 1e-4 for i in range(1000)], "makerFee": [i * 1e-5 for i in range(1000)]})
with open(os.path.join(cfg, "malformed.json"), "w") as f:
    f.write('{"symbol": "BTC/USDT", "grid": {"fast": [1,2,}}')
open(os.path.join(cfg, "empty.json"), "w").close()
with open(os.path.join(cfg, "array.json"), "w") as f:
    f.write("[]")
c("typo_from", form="2024-01-01", too="2024-02-01")
c("unknown_axis", grid={"bogusAxis": [1]})
c("empty_axis", grid={"fast": [], "slow": [48, 72]})
c("fast_ge_slow", grid={"fast": [50], "slow": [10]})
c("partial_invalid", grid={"fast": [4, 60], "slow": [48, 72]})
c("neg_fee", grid={"makerFee": [-1]})
c("axis_not_array", grid={"fast": "8"})
c("unknown_kind", strategy={"kind": "nope"})
c("huge_lag", grid={"decisionLag": [1000000000]})
c("no_symbol", symbol="NOPE/USDT")
c("no_bars", **{"from": "2030-01-01", "to": "2030-02-01"})
c("grid_sigint", grid={"fast": list(range(2, 42)), "slow": list(range(50, 100))})
# feature specs
for name, spec in {"spec_zero": {"returnWindows": [0]}, "spec_neg": {"returnWindows": [-1]}, "spec_vol1": {"volWindows": [1]}, "spec_unknown": {"bogus": 1}, "spec_huge": {"returnWindows": [4294967295]}}.items():
    with open(os.path.join(cfg, name + ".json"), "w") as f:
        json.dump(spec, f)
print("inputs in", out)
