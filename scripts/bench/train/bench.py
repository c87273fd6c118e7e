"""PyTorch peer of `tradelab-train bench --arch nano`: the same nano policy (crates/train/src/model),
midpoint decode, differentiable simulator over all T bars (diffsim.rs), Sortino loss (loss.rs),
grad-norm clip 1.0 and Muon (lr 0.02) + AdamW (lr 0.003) step, on synthetic inputs of the same
shape. Eager mode on CPU, torch.set_num_threads(threads). Prints one JSON line."""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=16)
p.add_argument("--seq", type=int, default=72)
p.add_argument("--features", type=int, default=32)
p.add_argument("--d-model", type=int, default=64)
p.add_argument("--layers", type=int, default=2)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--kv-heads", type=int, default=2)
p.add_argument("--steps", type=int, default=30)
p.add_argument("--warmup", type=int, default=5)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--repeats", type=int, default=3)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

# Defaults of crates/train/src/config.rs (ModelConfig, OptimConfig, SimConfig, TrainingConfig).
MLP_MULT, SOFTCAP, VE_EVERY, ROPE_BASE = 4, 12.0, 2, 10000.0
LR, ADAM_LR, WD, MOM, NS, B1, B2, EPS = 0.02, 0.003, 1e-4, 0.95, 5, 0.9, 0.95, 1e-8
MIN_GAP, FEE, LAG, TEMP, PPY, RET_W = 0.0003, 0.001, 1, 0.005, 8760.0, 0.08


def linear(fan_in, fan_out, zero=False):
    std = (1.0 / math.sqrt(fan_in)) * min(1.0, math.sqrt(fan_out / fan_in))
    w = torch.zeros(fan_out, fan_in) if zero else torch.randn(fan_out, fan_in) * std
    return torch.nn.Parameter(w)


def rms(x):
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + 1e-5)


class Nano(torch.nn.Module):
    def __init__(self, nf, d, layers, h, kvh, window, t):
        super().__init__()
        self.d, self.h, self.kvh, self.window = d, h, kvh, window
        hd = d // h
        self.embed = linear(nf, d)
        self.blocks = torch.nn.ModuleList()
        for i in range(layers):
            b = torch.nn.Module()
            b.q, b.k, b.v = linear(d, d), linear(d, hd * kvh), linear(d, hd * kvh)
            b.o = linear(d, d, zero=True)
            b.fc, b.proj = linear(d, d * MLP_MULT), linear(d * MLP_MULT, d, zero=True)
            b.ve = torch.nn.Parameter(torch.zeros(t, d)) if VE_EVERY > 0 and i % VE_EVERY == 0 else None
            b.resid = torch.nn.Parameter(torch.tensor([1.0, 0.0, 1.0, 0.0]))
            self.blocks.append(b)
        self.head = linear(d, 4, zero=True)

    def forward(self, x):
        bsz, t, _ = x.shape
        h, kvh, hd = self.h, self.kvh, self.d // self.h
        idx = torch.arange(t)
        allowed = (idx[None, :] <= idx[:, None]) & ((idx[:, None] - idx[None, :]) < self.window)
        inv = torch.exp(torch.arange(hd // 2, dtype=torch.float32) * (-2.0 * math.log(ROPE_BASE) / hd))
        ang = torch.arange(t, dtype=torch.float32)[:, None] * inv[None, :]
        cos, sin = ang.cos(), ang.sin()

        def rope(z):
            z1, z2 = z[..., : hd // 2], z[..., hd // 2 :]
            return torch.cat([z1 * cos + z2 * sin, -(z1 * sin) + z2 * cos], -1)

        x0 = rms(x @ self.embed.T)
        x = x0
        for b in self.blocks:
            r = b.resid
            a_in = rms(x)
            q = (a_in @ b.q.T).view(bsz, t, h, hd).transpose(1, 2)
            k = (a_in @ b.k.T).view(bsz, t, kvh, hd).transpose(1, 2)
            v_in = a_in + b.ve[:t][None] if b.ve is not None else a_in
            v = (v_in @ b.v.T).view(bsz, t, kvh, hd).transpose(1, 2)
            q, k = rms(rope(q)), rms(rope(k))
            if h // kvh > 1:
                k, v = k.repeat_interleave(h // kvh, 1), v.repeat_interleave(h // kvh, 1)
            s = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
            w = s.masked_fill(~allowed, float("-inf")).softmax(-1)
            y = (w @ v).transpose(1, 2).contiguous().view(bsz, t, self.d) @ b.o.T
            x = (x + y) * r[0] + x0 * r[1]
            m = F.relu(rms(x) @ b.fc.T).square() @ b.proj.T
            x = (x + m) * r[2] + x0 * r[3]
        logits = rms(x) @ self.head.T
        return torch.tanh(logits / SOFTCAP) * SOFTCAP


def loss_fn(model, x, o, hi, lo, c, blo, bhi):
    logits = model(x)
    ref = c.clamp_min(1e-8)
    lo_, hi_ = blo.minimum(ref), bhi.maximum(ref)
    buy = lo_ + logits[..., 0].sigmoid() * (ref - lo_)
    sell = ref + logits[..., 1].sigmoid() * (hi_ - ref)
    sell = sell.maximum(buy + ref * MIN_GAP)
    bf, sf = logits[..., 2].sigmoid(), logits[..., 3].sigmoid()
    n = c.shape[1] - LAG
    op, hg, lw, cl = (z[:, LAG:] for z in (o, hi, lo, c))
    bp, sp, bf, sf = (z[:, :n] for z in (buy, sell, bf, sf))
    width = cl.abs().clamp_min(1e-4) * TEMP
    p_buy = ((bp - lw) / width).sigmoid()  # touch: buffer 0
    p_sell = ((hg - sp) / width).sigmoid()
    spend_frac, sell_frac = p_buy * bf, p_sell * sf
    qty_per_cash = 1.0 / (op.minimum(bp) * (1.0 + FEE))
    cash_per_qty = op.maximum(sp) * (1.0 - FEE)
    cash, inv = torch.ones(c.shape[0]), torch.zeros(c.shape[0])
    eq = []
    for k in range(n):
        spend = spend_frac[:, k] * cash
        sold = sell_frac[:, k] * inv
        cash = cash - spend + sold * cash_per_qty[:, k]
        inv = inv + spend * qty_per_cash[:, k] - sold
        eq.append(cash + inv * cl[:, k])
    eq = torch.stack(eq, 1)
    prev = torch.cat([torch.ones(c.shape[0], 1), eq[:, :-1]], 1)
    r = eq / prev - 1.0
    mean = r.mean(1)
    down = r.clamp_max(0.0).square().mean(1)
    sortino = mean / (down + 1e-8).sqrt() * math.sqrt(PPY)
    return -(sortino + mean * (PPY * RET_W)).mean()


def newton_schulz(g, steps):
    a, b, c = 3.4445, -4.7750, 2.0315
    tall = g.shape[0] > g.shape[1]
    x = g.T if tall else g
    x = x / (x.norm() + 1e-7)
    for _ in range(steps):
        am = x @ x.T
        x = a * x + (b * am + c * am @ am) @ x
    return x.T if tall else x


class MuonAdamW:
    """Same split as optim.rs: Muon for 2-D weights outside embeddings/head, AdamW for the rest."""

    def __init__(self, named):
        self.slots = []
        for name, p_ in sorted(named, key=lambda kv: kv[0]):
            muon = p_.dim() == 2 and "embed" not in name and "head" not in name and name != "ve" and not name.endswith(".ve")
            self.slots.append((p_, muon, torch.zeros_like(p_), None if muon else torch.zeros_like(p_)))
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        bc1, bc2 = 1 - B1**self.t, 1 - B2**self.t
        for p_, muon, m, v in self.slots:
            g = p_.grad
            if g is None:
                continue
            if muon:
                m.mul_(MOM).add_(g * (1 - MOM))
                g2 = g * (1 - MOM) + m * MOM
                aspect = math.sqrt(max(1.0, p_.shape[0] / p_.shape[1]))
                upd = newton_schulz(g2, NS) * (LR * aspect)
                p_.mul_(1 - LR * WD)
                p_.sub_(upd)
            else:
                m.mul_(B1).add_(g * (1 - B1))
                v.mul_(B2).add_(g.square() * (1 - B2))
                if p_.dim() >= 2:
                    p_.mul_(1 - ADAM_LR * WD)
                p_.sub_((m / bc1) / ((v / bc2).sqrt() + EPS) * ADAM_LR)


model = Nano(a.features, a.d_model, a.layers, a.heads, a.kv_heads, a.seq, a.seq)
# The value embeddings are named "value_embed" on the Rust side (contains "embed" -> AdamW).
named = [(n.replace(".ve", ".value_embed"), p_) for n, p_ in model.named_parameters()]
opt = MuonAdamW(named)
b, t = a.batch, a.seq
close = (torch.randn(b, t) * 0.01).cumsum(1).exp()
open_ = close.roll(1, 1)
wig = torch.rand(b, t) * 0.005
x = torch.randn(b, t, a.features)
high, low = open_.maximum(close) * (1 + wig), open_.minimum(close) * (1 - wig)
blo, bhi = close * 0.98, close * 1.02


def run(n):
    for _ in range(n):
        for p_ in model.parameters():
            p_.grad = None
        loss = loss_fn(model, x, open_, high, low, close, blo, bhi)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()


run(a.warmup)
best = float("inf")
for _ in range(a.repeats):
    t0 = time.perf_counter()
    run(a.steps)
    best = min(best, time.perf_counter() - t0)
params = sum(p_.numel() for p_ in model.parameters())
print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "samplesPerSec": a.steps * b / best, "seconds": best, "threads": a.threads, "params": params}))
