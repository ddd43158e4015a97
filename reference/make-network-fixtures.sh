#!/bin/sh
# Regenerates the PyTorch parity fixture of PyTorchParityTests.swift in
# Tests/NetworkTests/Fixtures from the reference ENet beside this script.
#
# Needs torch (CPU) and h5py in ~/torch-venv (see README.md here):
#   python3 -m venv ~/torch-venv && ~/torch-venv/bin/pip install "torch==2.13.0+cpu" h5py
# Run from anywhere: reference/make-network-fixtures.sh
#
# 1. enet_torch.py --export-weights: the reference's seeded model (seed 0, 1 channel, 4 classes).
# 2. Post-processing, so the fixture stays small (~450 KB in all) yet tests something real:
#    - BatchNorm biases ~ N(0, 0.1) and PReLU slopes ~ U(0.1, 0.4) instead of torch's 0 and 0.25;
#    - learnable tensors of more than 256 values are rounded to a coarse per-tensor grid (step = 2^ceil(log2(std))),
#      all tensors are stored as float16 (exact: both programs read the same float32 values);
#    - running_mean / running_var are calibrated by 30 train-mode passes of torch on random
#      batches (so eval-mode BatchNorm is not the identity; dropout masks from torch seed 0),
#      then rounded to float16.
# 3. input.h5: dataset x, 2x1x32x32 standard normal float32 (numpy seed 2).
# 4. logits_eval.h5: enet_torch.py --forward (eval mode, running statistics).
# 5. logits_train.h5: the same in train mode (batch statistics) with every dropout p set to 0,
#    which enet_torch.py --forward --train-mode cannot do (its dropout is random).
# 6. gradients_train.h5: in that train mode, torch autograd's gradients of L = sum(logits * r)
#    for r ~ N(0, 1) (dataset r, torch seed 5): dataset x_grad (input gradient, full) and, to stay
#    small, the first (up to) 32 values of every parameter's gradient concatenated in state-dict
#    order (grad_head), with the parameter names (names) and how many values each has (counts).
set -eu
# One thread and seeded generators: the files come out the same bytes on every run.
export OMP_NUM_THREADS=1
PY=${PY:-$HOME/torch-venv/bin/python}
HERE=$(cd "$(dirname "$0")" && pwd)
REF=${REF:-$HERE/enet_torch.py}
OUT=${OUT:-$(cd "$HERE/../Tests/NetworkTests/Fixtures" && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$PY" "$REF" --export-weights "$TMP/exported.h5" --in-ch 1 --classes 4 --seed 0

"$PY" - "$REF" "$TMP/exported.h5" "$OUT" <<'PYTHON'
import importlib.util, sys
import h5py, numpy as np, torch
ref, exported, out = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("enet_torch", ref)
enet = importlib.util.module_from_spec(spec); spec.loader.exec_module(enet)
torch.manual_seed(0)  # the calibration passes' dropout masks
model = enet.ENet(1, 4)
enet.load_weights(model, exported)
sd = model.state_dict()
with torch.no_grad():
    # Fresh BatchNorm biases (0) and PReLU slopes (0.25) would hide mistakes: perturb them.
    g = torch.Generator().manual_seed(4)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
        elif isinstance(m, torch.nn.PReLU):
            m.weight.copy_(0.1 + 0.3 * torch.rand(m.weight.shape, generator=g))
    for name, p in model.named_parameters():
        if p.numel() <= 256:
            continue  # small tensors are only rounded to float16 when written
        std = p.std().item() if p.numel() > 1 else abs(p.item())
        step = 2.0 ** np.ceil(np.log2(max(std, 1e-3)))
        p.copy_(torch.from_numpy((np.round(p.numpy() / step) * step).astype(np.float16).astype(np.float32)))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = 0.1
    model.train()
    g = torch.Generator().manual_seed(3)
    for _ in range(30):
        model(torch.randn(4, 1, 32, 32, generator=g))
with h5py.File(f"{out}/weights.h5", "w", libver=("v110", "v110")) as f:
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            continue
        a = v.numpy().astype(np.float16)
        kw = dict(compression="gzip", compression_opts=9, shuffle=True) if a.size > 256 else {}
        kw["track_times"] = False
        f.create_dataset(k, data=a, **kw)
x = np.random.default_rng(2).standard_normal((2, 1, 32, 32)).astype(np.float32)
with h5py.File(f"{out}/input.h5", "w") as f:
    f.create_dataset("x", data=x)
PYTHON

"$PY" "$REF" --forward "$OUT/weights.h5" --input "$OUT/input.h5" --output "$OUT/logits_eval.h5"

"$PY" - "$REF" "$OUT" <<'PYTHON'
import importlib.util, sys
import h5py, numpy as np, torch
ref, out = sys.argv[1:3]
spec = importlib.util.spec_from_file_location("enet_torch", ref)
enet = importlib.util.module_from_spec(spec); spec.loader.exec_module(enet)
model = enet.ENet(1, 4)
enet.load_weights(model, f"{out}/weights.h5")
for m in model.modules():
    if isinstance(m, torch.nn.Dropout):
        m.p = 0.0
model.train()
with h5py.File(f"{out}/input.h5") as f:
    x = torch.from_numpy(f["x"][...])
with torch.no_grad():
    enet.save_h5(f"{out}/logits_train.h5", {"logits": model(x)})

# Gradients of L = sum(logits * r), same weights and mode (fresh model: running stats unchanged).
model = enet.ENet(1, 4)
enet.load_weights(model, f"{out}/weights.h5")
for m in model.modules():
    if isinstance(m, torch.nn.Dropout):
        m.p = 0.0
model.train()
x.requires_grad_(True)
logits = model(x)
r = torch.randn(logits.shape, generator=torch.Generator().manual_seed(5))
(logits.double() * r.double()).sum().backward()
names, counts, heads = [], [], []
for name, p in model.named_parameters():
    g = p.grad.detach().reshape(-1)[:32]
    names.append(name); counts.append(g.numel()); heads.append(g)
with h5py.File(f"{out}/gradients_train.h5", "w") as f:
    f.create_dataset("r", data=r.numpy())
    f.create_dataset("x_grad", data=x.grad.numpy())
    f.create_dataset("grad_head", data=torch.cat(heads).numpy())
    f.create_dataset("counts", data=np.array(counts, dtype=np.int64))
    f.create_dataset("names", data=np.array(names, dtype=h5py.string_dtype()))
PYTHON
ls -l "$OUT"
