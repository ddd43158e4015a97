"""Reference numbers for Tests/LossesTests/MONAICrossCheckTests.swift, computed once with
MONAI 1.6.1 (torch 2.13.0+cpu) in float64. Run: ~/torch-venv/bin/python reference/monai-reference.py
The tests do not run this script; they keep its printed output inline."""
import numpy as np
import torch
import monai
from monai.losses import DiceLoss, GeneralizedDiceLoss

EPS = 1e-10
rng = np.random.default_rng(4)
N, K, H, W = 2, 3, 3, 4
logits = np.round(rng.normal(0, 2, size=(N, K, H, W)), 3)
# Case A: every class present in every image (GDL's weights are then finite, where MONAI
# and eq. (4) agree). Case B: class 2 absent from image 1 (Dice and V-Net only).
labels_a = rng.integers(0, K, size=(N, H, W))
labels_a[:, 0, 0], labels_a[:, 0, 1], labels_a[:, 0, 2] = 0, 1, 2
labels_b = labels_a.copy()
labels_b[1][labels_b[1] == 2] = 1


def fmt(values):
    return ", ".join(f"{v:.17g}" for v in np.asarray(values).ravel())


def run(name, loss, labels):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    # One-hot in float64 here: MONAI's own to_onehot_y makes float32, and its squared_pred path
    # takes vector norms of the target (sqrt then square), which would add float32 rounding.
    y = torch.nn.functional.one_hot(torch.tensor(labels), K).permute(0, 3, 1, 2).to(torch.float64)
    value = loss(z, y)
    value.backward()
    print(f"// {name}: value")
    print(f"{value.item():.17g}")
    print(f"// {name}: gradient wrt logits")
    print(fmt(z.grad.numpy()))


print("monai", monai.__version__, "torch", torch.__version__)
print("// logits (N=2, K=3, H=3, W=4, NCHW)")
print(", ".join(f"{v:.3f}" for v in logits.ravel()))
print("// labels case A")
print(", ".join(str(v) for v in labels_a.ravel()))
print("// labels case B")
print(", ".join(str(v) for v in labels_b.ravel()))
common = dict(include_background=True, to_onehot_y=False, softmax=True, smooth_nr=EPS, smooth_dr=EPS)
for batch in (False, True):
    scope = "batch" if batch else "patch"
    run(f"A dice {scope}", DiceLoss(batch=batch, **common), labels_a)
    run(f"A vnet {scope}", DiceLoss(batch=batch, squared_pred=True, **common), labels_a)
    run(f"A gdl {scope}", GeneralizedDiceLoss(batch=batch, **common), labels_a)
    run(f"B dice {scope}", DiceLoss(batch=batch, **common), labels_b)
    run(f"B vnet {scope}", DiceLoss(batch=batch, squared_pred=True, **common), labels_b)
