"""The FID Inception-v3 network, loaded from the user's weights file (nothing downloads).

FID, KID and IS are defined on one specific network: the TensorFlow graph ``inception-2015-12-05``
(Szegedy et al. 2016, Inception-v3, 1008 classes) that Salimans et al. 2016 (IS) and Heusel et al.
2017 (FID) ran. ``pt_inception-2015-12-05-6726825d.pth`` is its PyTorch port (pytorch-fid, Seitzer;
torch-fidelity, Obukhov et al., ship the same port). :class:`FIDInceptionV3` rebuilds that
architecture in plain PyTorch, no torchvision, with the same parameter names, so the file loads with
``load_state_dict``. What differs from torchvision's ImageNet Inception-v3, as in both references:

* input: uint8-valued images, resized to 299×299 with TF 1.x bilinear (:mod:`.tf_resize`), then
  ``(x − 128) / 128``;
* the 3×3 average pools inside blocks 5b–5d, 6b–6e and 7b exclude the zero padding
  (``count_include_pad=False``), and block 7c uses a 3×3 **max** pool in its pool branch;
* BatchNorm ``eps = 0.001``; the classifier has 1008 outputs.

Features (torch-fidelity's names): ``"64"``, ``"192"``, ``"768"`` (spatially averaged activations after
max-pool 1, max-pool 2 and block 6e; pytorch-fid's ``--dims``), ``"2048"`` (pool3: FID and KID),
``"logits_unbiased"`` (pool3 · Wᵀ without the bias: IS, as in the original TF IS code) and
``"logits"``. A forward pass stops after the deepest feature asked for.
"""
from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .progress import ProgressBar
from .tf_resize import resize_bilinear_tf1
from .weights_file import WeightsSpec, resolve_weights

__all__ = [
    "FEATURES",
    "INCEPTION_WEIGHTS",
    "FIDInceptionV3",
    "inception_features",
    "load_inception",
    "to_inception_input",
]

INCEPTION_WEIGHTS = WeightsSpec(
    what="FID Inception-v3 weights",
    filename="pt_inception-2015-12-05-6726825d.pth",
    urls=(
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
        "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
    ),
    env_var="HJGAN_INCEPTION_WEIGHTS",
    option="--inception-weights",
)

FEATURES = ("64", "192", "768", "2048", "logits_unbiased", "logits")
INPUT_SIZE = 299  # the TF graph's input; read at every forward (the tests shrink it to run fast)
# A float image may overshoot its value range by this fraction of the range (then it is clamped);
# beyond it the range is taken to be wrong [ours].
RANGE_SLACK = 0.05


# -- architecture ------------------------------------------------------------------------------------
class BasicConv2d(nn.Module):
    """conv (no bias) → BatchNorm(eps 1e-3) → ReLU; parameters ``conv.weight``, ``bn.*``."""

    def __init__(self, cin: int, cout: int, **conv: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **conv)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_tf(x: torch.Tensor) -> torch.Tensor:
    """3×3 stride-1 average pool that ignores the padding, as TensorFlow's."""
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """Blocks 5b–5d (35×35): 1×1, 5×5, double 3×3, pool-projection branches."""

    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_tf(x)),
        ], 1)


class InceptionB(nn.Module):
    """Block 6a (35→17): strided 3×3, strided double 3×3, max pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, kernel_size=3, stride=2),
        ], 1)


class InceptionC(nn.Module):
    """Blocks 6b–6e (17×17): factorised 7×7 branches."""

    def __init__(self, cin: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        row = {"kernel_size": (1, 7), "padding": (0, 3)}
        col = {"kernel_size": (7, 1), "padding": (3, 0)}
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, **row)
        self.branch7x7_3 = BasicConv2d(c7, 192, **col)
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, **row)
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, **row)
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dbl = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            dbl = layer(dbl)
        return torch.cat([
            self.branch1x1(x),
            self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x))),
            dbl,
            self.branch_pool(_avg_pool_tf(x)),
        ], 1)


class InceptionD(nn.Module):
    """Block 7a (17→8): strided 3×3 and 7×7-then-3×3 branches, max pool."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """Blocks 7b (average pool, padding excluded) and 7c (max pool: the TF graph's quirk), 8×8."""

    def __init__(self, cin: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_1(x)
        dbl = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = _avg_pool_tf(x) if self.pool == "avg" else F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(b3), self.branch3x3_2b(b3),
            self.branch3x3dbl_3a(dbl), self.branch3x3dbl_3b(dbl),
            self.branch_pool(pooled),
        ], 1)


def _spatial_mean(x: torch.Tensor) -> torch.Tensor:
    return x.mean(dim=(2, 3))


class FIDInceptionV3(nn.Module):
    """Inception-v3 as in the TF graph ``inception-2015-12-05`` (module docstring); randomly initialised
    until :func:`load_inception` (or ``load_state_dict``) fills it. ``forward(x, features)`` takes
    ``(n, 3, H, W)`` float images with values in ``[0, 255]`` and returns ``{name: (n, d)}`` float32."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(2048, 1008)
        self.eval()
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor, features: Sequence[str] = ("2048",)) -> dict[str, torch.Tensor]:
        unknown = [f for f in features if f not in FEATURES]
        if unknown or not features:
            raise ValueError(f"unknown Inception features {unknown}; choose from {FEATURES}")
        want, out = set(features), {}
        x = resize_bilinear_tf1(x.float(), (INPUT_SIZE, INPUT_SIZE))
        x = (x - 128) / 128  # the TF graph's Sub/Mul by 1/128
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        stages = (
            ("64", ()),
            ("192", (self.Conv2d_3b_1x1, self.Conv2d_4a_3x3, lambda t: F.max_pool2d(t, kernel_size=3, stride=2))),
            ("768", (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                     self.Mixed_6d, self.Mixed_6e)),
            ("2048", (self.Mixed_7a, self.Mixed_7b, self.Mixed_7c)),
        )
        for name, layers in stages:
            for layer in layers:
                x = layer(x)
            if name in want:
                out[name] = _spatial_mean(x)
                want.discard(name)
            if not want:
                return out
        pool3 = _spatial_mean(x)
        unbiased = pool3 @ self.fc.weight.T
        if "logits_unbiased" in want:
            out["logits_unbiased"] = unbiased
        if "logits" in want:
            out["logits"] = unbiased + self.fc.bias
        return out


# -- weights ----------------------------------------------------------------------------------------
def _expected_keys(model: nn.Module) -> dict[str, torch.Size]:
    """Parameter and running-stat names with shapes; ``num_batches_tracked`` is optional (the official
    file, converted from TF, has none)."""
    return {k: v.shape for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def _short(names: Iterable[str], limit: int = 4) -> str:
    names = sorted(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def load_inception(path: str | os.PathLike | None = None, device: str | torch.device = "cpu") -> FIDInceptionV3:
    """:class:`FIDInceptionV3` with the weights of ``path`` (default ``$HJGAN_INCEPTION_WEIGHTS``).

    The file is ``pt_inception-2015-12-05-6726825d.pth`` (``INCEPTION_WEIGHTS.urls``; fetch it yourself).
    A missing file raises ``FileNotFoundError`` naming it and where it comes from; a file whose keys or
    shapes are not those of the FID Inception (torchvision's ImageNet ``inception_v3_google`` weights
    included: a different network) raises ``ValueError`` listing what differs.
    """
    path = resolve_weights(path, INCEPTION_WEIGHTS)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, ValueError, KeyError, EOFError, OSError, pickle.UnpicklingError) as exc:
        # not a torch file (torch raises any of these), or one that pickles code, not just tensors
        raise ValueError(f"{path!r} is not a PyTorch state dict of tensors ({type(exc).__name__}); "
                         f"{INCEPTION_WEIGHTS.how_to_get()}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{path!r} does not hold a state dict of tensors; {INCEPTION_WEIGHTS.how_to_get()}")
    with torch.device("meta"):  # no random init: every tensor comes from the file
        model = FIDInceptionV3()
    expected = _expected_keys(model)
    given = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    missing, unexpected = expected.keys() - given.keys(), given.keys() - expected.keys()
    wrong = [k for k in expected.keys() & given.keys() if given[k].shape != expected[k]]
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} keys missing ({_short(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys ({_short(unexpected)})")
        if wrong:
            parts.append("shapes differ for " + ", ".join(
                f"{k} {tuple(given[k].shape)} (expected {tuple(expected[k])})" for k in sorted(wrong)[:4]))
        raise ValueError(f"{path!r} is not the FID Inception-v3 state dict: " + "; ".join(parts) +
                         f". torchvision's ImageNet Inception weights are a different network; "
                         f"{INCEPTION_WEIGHTS.how_to_get()}")
    model = model.to_empty(device="cpu")
    model.load_state_dict(given, strict=False)  # strict on everything but num_batches_tracked (checked above)
    for name, buf in model.named_buffers():
        if name.endswith("num_batches_tracked"):
            buf.zero_()
    return model.to(device).eval()


# -- images -----------------------------------------------------------------------------------------
def to_inception_input(images: torch.Tensor, value_range: tuple[float, float] = (0.0, 1.0),
                       name: str = "images") -> tuple[torch.Tensor, int]:
    """Validate ``images`` and quantise them to ``[0, 255]`` integers (float32), RGB.

    ``images``: ``(n, 3, H, W)`` or ``(n, 1, H, W)``/``(n, H, W)`` grayscale (repeated to RGB). uint8
    tensors are taken as 0–255; floats are mapped from ``value_range`` (``(0, 1)``, ``(-1, 1)``,
    ``(0, 255)``, …) by ``floor(255 · (x − lo)/(hi − lo) + 0.5)`` clamped to ``[0, 255]`` (the quantisation
    StyleGAN2-ADA applies before its metrics). Images holding NaN/inf are dropped and counted.
    Returns ``(images, n_nan)``. Raises ``ValueError`` for a wrong shape (channels-last included) or
    finite values more than 5 % of the range outside ``value_range``.
    """
    images = torch.as_tensor(images)
    if images.ndim == 3:
        images = images.unsqueeze(1)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or min(images.shape[2:]) < 2:
        hint = ""
        if images.ndim == 4 and images.shape[-1] in (1, 3):
            hint = " (this looks channels-last: use images.permute(0, 3, 1, 2))"
        raise ValueError(f"{name} must be (n, 3, H, W) RGB or (n, 1, H, W) / (n, H, W) grayscale with H, W >= 2, "
                         f"got {tuple(images.shape)}{hint}")
    if images.dtype == torch.uint8:
        x = images.float()
        ok = torch.ones(len(x), dtype=torch.bool)
    else:
        x = images.float()
        ok = torch.isfinite(x.reshape(len(x), -1)).all(dim=1)
        lo, hi = (float(v) for v in value_range)
        if not hi > lo:
            raise ValueError(f"value_range must be (low, high) with high > low, got {value_range}")
        finite = x[ok]
        slack = RANGE_SLACK * (hi - lo)
        if finite.numel() and (float(finite.min()) < lo - slack or float(finite.max()) > hi + slack):
            raise ValueError(
                f"{name} values lie in [{float(finite.min()):.4g}, {float(finite.max()):.4g}], outside the "
                f"declared range [{lo:g}, {hi:g}]: declare the right range (value_range / --range, e.g. -1,1 "
                f"for tanh outputs, 0,255 for pixels)")
        x = torch.floor((x - lo) * (255.0 / (hi - lo)) + 0.5).clamp(0, 255)
    n_nan = int((~ok).sum())
    x = x[ok]
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    return x, n_nan


@torch.no_grad()
def inception_features(model: FIDInceptionV3, images: torch.Tensor, features: Sequence[str] = ("2048",),
                       batch_size: int = 50, progress: bool = False, desc: str = "Inception features"
                       ) -> dict[str, torch.Tensor]:
    """Run ``model`` over ``images`` (already :func:`to_inception_input` output) in batches; float64 CPU."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = next(model.parameters()).device
    chunks: dict[str, list[torch.Tensor]] = {f: [] for f in features}
    batches = images.split(batch_size)
    with ProgressBar(len(batches), desc, enabled=progress) as bar:
        for batch in batches:
            out = model(batch.to(device), features)
            for f in features:
                chunks[f].append(out[f].double().cpu())
            bar.update()
    return {f: torch.cat(v) if v else torch.empty(0, 0, dtype=torch.float64) for f, v in chunks.items()}
