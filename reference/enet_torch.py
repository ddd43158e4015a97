#!/usr/bin/env python3
"""PyTorch reference of the ENet that swift-dist-train trains (docs/network.md).

It is the yardstick for swift-dist-train: the same network, the same parameter
names and layouts, measured on the same machine in the same run.

  enet_torch.py --names   [--in-ch 1 --classes 4]        parameter names and shapes
  enet_torch.py --info    [--size 256]                   parameter count, forward GFLOP/image
  enet_torch.py --bench   [--size 256 --batch 8 --threads 1 --loss dice|ce]
                                                         training / inference images per second (JSON)
  enet_torch.py --export-weights W.h5 [--seed 0]         state dict as HDF5 datasets named like the names
  enet_torch.py --forward W.h5 --input X.h5 --output Y.h5 [--train-mode]
                                                         logits for input dataset 'x' with the weights in W.h5

See README.md beside this file for installing torch (CPU).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k, stride=1, padding=0, dilation=1, bias=True):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=padding, dilation=dilation, bias=bias)


class CBR(nn.Module):
    """Conv -> BatchNorm -> PReLU (one slope), named conv/bn/prelu."""

    def __init__(self, cin, cout, k, **kw):
        super().__init__()
        self.conv = conv(cin, cout, k, **kw)
        self.bn = nn.BatchNorm2d(cout)
        self.prelu = nn.PReLU()

    def forward(self, x):
        return self.prelu(self.bn(self.conv(x)))


class Initial(nn.Module):
    def __init__(self, cin, n=16):
        super().__init__()
        self.conv = conv(cin, n - cin, 3, stride=2, padding=1)

    def forward(self, x):
        return torch.cat([self.conv(x), F.max_pool2d(x, 2)], 1)


class Branch(nn.Module):
    """conv0/bn0/prelu0 -> conv1(a,b)/bn1/prelu1 -> conv2/bn2/prelu2 -> dropout."""

    def __init__(self, cin, mid, cout, p, first, middle, dilation=1):
        super().__init__()
        if first == "down":
            self.conv0 = conv(cin, mid, 2, stride=2)
        elif first == "3x3":
            self.conv0 = conv(cin, mid, 3, padding=1)
        else:
            self.conv0 = conv(cin, mid, 1)
        self.bn0, self.prelu0 = nn.BatchNorm2d(mid), nn.PReLU()
        self.asym = middle == "asym"
        if self.asym:
            self.conv1a = conv(mid, mid, (5, 1), padding=(2, 0))
            self.conv1b = conv(mid, mid, (1, 5), padding=(0, 2))
        else:
            self.conv1 = conv(mid, mid, 3, padding=dilation, dilation=dilation)
        self.bn1, self.prelu1 = nn.BatchNorm2d(mid), nn.PReLU()
        self.conv2, self.bn2, self.prelu2 = conv(mid, cout, 1), nn.BatchNorm2d(cout), nn.PReLU()
        self.drop = nn.Dropout(p)

    def branch(self, x):
        x = self.prelu0(self.bn0(self.conv0(x)))
        x = self.conv1b(self.conv1a(x)) if self.asym else self.conv1(x)
        x = self.prelu1(self.bn1(x))
        return self.drop(self.prelu2(self.bn2(self.conv2(x))))


class Down(Branch):
    def __init__(self, cin, cout, p):
        super().__init__(cin, cin // 4, cout, p, "down", "3x3")
        self.pad = cout - cin
        self.prelu_out = nn.PReLU()

    def forward(self, x):
        main, idx = F.max_pool2d(x, 2, return_indices=True)
        main = F.pad(main, (0, 0, 0, 0, 0, self.pad))
        return self.prelu_out(main + self.branch(x)), idx


class Bottleneck(Branch):
    """kind: regular | dilated | asym. shortcut: None (identity) | 'conv3' | 'cbr1'."""

    def __init__(self, cin, cout, p, kind="regular", dilation=1, shortcut=None):
        super().__init__(cin, cin // 4, cout, p, "1x1", kind, dilation)
        if shortcut == "conv3":
            self.shortcut = conv(cin, cout, 3, padding=1)
        elif shortcut == "cbr1":
            self.shortcut = CBR(cin, cout, 1)
        else:
            assert cin == cout
            self.shortcut = None
        self.prelu_out = nn.PReLU()

    def forward(self, x):
        res = x if self.shortcut is None else self.shortcut(x)
        return self.prelu_out(res + self.branch(x))


class Up(Branch):
    """branch on concat(unpooled, skip); the residual add happens in the network."""

    def __init__(self, cin, cout, p):
        super().__init__(cin, cin // 4, cout, p, "3x3", "3x3")
        self.prelu_out = nn.PReLU()

    def forward(self, x):
        return self.branch(x)


STAGE = [("regular", 1, .1), ("dilated", 2, .01), ("asym", 1, .1), ("dilated", 4, .01),
         ("regular", 1, .1), ("dilated", 8, .01), ("asym", 1, .1), ("dilated", 16, .01)]


class ENet(nn.Module):
    def __init__(self, in_ch=1, K=4, n=16):
        super().__init__()
        self.initial = Initial(in_ch, n)
        self.b1_0 = Down(n, 4 * n, .01)
        for i in range(1, 5):
            setattr(self, f"b1_{i}", Bottleneck(4 * n, 4 * n, .01))
        self.b2_0 = Down(4 * n, 8 * n, .01)
        for i, (kind, d, p) in enumerate(STAGE, 1):
            setattr(self, f"b2_{i}", Bottleneck(8 * n, 8 * n, p, kind, d))
        for i, (kind, d, p) in enumerate(STAGE[:7], 1):
            setattr(self, f"b3_{i}", Bottleneck(8 * n, 8 * n, p, kind, d))
        self.b3_8 = Bottleneck(8 * n, 4 * n, .01, "dilated", 16, shortcut="conv3")
        self.up4_0 = Up(8 * n, 4 * n, .01)
        self.b4_1 = Bottleneck(4 * n, 4 * n, .1)
        self.b4_2 = Bottleneck(4 * n, n, .1, shortcut="cbr1")
        self.up5_0 = Up(2 * n, n, .01)
        self.b5_1 = Bottleneck(n, n, .1)
        self.head = nn.Module()
        self.head.conv0, self.head.bn0, self.head.prelu0 = conv(n, n, 3, padding=1, bias=False), nn.BatchNorm2d(n), nn.PReLU()
        self.head.conv1, self.head.bn1, self.head.prelu1 = conv(n, n, 3, padding=1, bias=False), nn.BatchNorm2d(n), nn.PReLU()
        self.head.out = conv(n, K, 1)
        self.apply(init_weights)

    def forward(self, x):
        x0 = self.initial(x)
        x1, i1 = self.b1_0(x0)
        for i in range(1, 5):
            x1 = getattr(self, f"b1_{i}")(x1)
        x2, i2 = self.b2_0(x1)
        for i in range(1, 9):
            x2 = getattr(self, f"b2_{i}")(x2)
        for i in range(1, 9):
            x2 = getattr(self, f"b3_{i}")(x2)
        u4 = F.max_unpool2d(x2, i2, 2, output_size=x1.shape[-2:])
        x4 = self.up4_0.prelu_out(u4 + self.up4_0(torch.cat([u4, x1], 1)))
        x4 = self.b4_2(self.b4_1(x4))
        u5 = F.max_unpool2d(x4, i1, 2, output_size=x0.shape[-2:])
        v = self.up5_0(torch.cat([u5, x0], 1))
        x5 = self.up5_0.prelu_out(u5 + self.b5_1(v))
        h = F.interpolate(x5, scale_factor=2, mode="nearest")
        h = self.head.prelu0(self.head.bn0(self.head.conv0(h)))
        h = self.head.prelu1(self.head.bn1(self.head.conv1(h)))
        return self.head.out(h)


def init_weights(m):
    if isinstance(m, nn.Conv2d):
        nn.init.xavier_normal_(m.weight)
    elif isinstance(m, nn.BatchNorm2d):
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.zero_()


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def fwd_flops(model, in_ch, size):
    from torch.utils.flop_counter import FlopCounterMode
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(torch.zeros(1, in_ch, size, size))
    return fc.get_total_flops()


def soft_dice(probs, onehot, eps=1e-10):
    inter = (probs * onehot).sum((2, 3))
    union = probs.sum((2, 3)) + onehot.sum((2, 3))
    return (1 - (2 * inter + eps) / (union + eps)).mean()


def cross_entropy(probs, onehot):
    return -(onehot * torch.log(probs + 1e-10)).sum(1).mean()


def timed(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return ts


def bench(a):
    torch.set_num_threads(a.threads)
    warnings.filterwarnings("ignore", message=".*max_unpooling2d.*")
    torch.manual_seed(a.seed)
    model = ENet(a.in_ch, a.classes)
    g = torch.Generator().manual_seed(a.seed + 1)
    x = torch.randn(a.batch, a.in_ch, a.size, a.size, generator=g)
    y = torch.randint(0, a.classes, (a.batch, a.size, a.size), generator=g)
    onehot = F.one_hot(y, a.classes).permute(0, 3, 1, 2).float().contiguous()
    opt = torch.optim.Adam(model.parameters(), lr=5e-4, betas=(0.9, 0.99))
    loss_fn = soft_dice if a.loss == "dice" else cross_entropy

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(F.softmax(model(x), 1), onehot)
        loss.backward()
        opt.step()

    def infer_step():
        with torch.inference_mode():
            F.softmax(model(x), 1)

    model.train()
    tt = timed(train_step, a.warmup, a.steps)
    model.eval()
    ti = timed(infer_step, a.warmup, a.steps)
    return {"impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "batch": a.batch, "size": a.size, "in_ch": a.in_ch, "classes": a.classes, "loss": a.loss,
            "params": n_params(model), "steps": a.steps,
            "train_img_s": round(a.batch / statistics.median(tt), 3),
            "infer_img_s": round(a.batch / statistics.median(ti), 3)}


def save_h5(path, tensors):
    import h5py
    with h5py.File(path, "w") as f:
        for k, v in tensors.items():
            f.create_dataset(k, data=v.detach().cpu().numpy())


def load_weights(model, path):
    import h5py
    sd = model.state_dict()
    with h5py.File(path, "r") as f:
        for k in sd:
            if k.endswith("num_batches_tracked"):
                continue
            sd[k] = torch.from_numpy(f[k][...])
    model.load_state_dict(sd)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag in ("--names", "--info", "--bench", "--train-mode"):
        ap.add_argument(flag, action="store_true")
    ap.add_argument("--export-weights")
    ap.add_argument("--forward")
    ap.add_argument("--input")
    ap.add_argument("--output")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--in-ch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--loss", choices=["dice", "ce"], default="dice")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.size % 8:
        ap.error("--size must be divisible by 8")
    torch.manual_seed(a.seed)
    model = ENet(a.in_ch, a.classes)
    if a.names:
        for k, v in model.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                print(k, list(v.shape))
    if a.info:
        print(json.dumps({"params": n_params(model), "size": a.size,
                          "fwd_gflop_per_image": round(fwd_flops(model, a.in_ch, a.size) / 1e9, 4)}))
    if a.export_weights:
        save_h5(a.export_weights, {k: v for k, v in model.state_dict().items()
                                   if not k.endswith("num_batches_tracked")})
    if a.forward:
        import h5py
        load_weights(model, a.forward)
        model.train(a.train_mode)
        with h5py.File(a.input, "r") as f:
            x = torch.from_numpy(f["x"][...])
        with torch.no_grad():
            save_h5(a.output, {"logits": model(x)})
    if a.bench:
        print(json.dumps(bench(a)))


if __name__ == "__main__":
    main()
