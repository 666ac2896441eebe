"""Perceptual Path Length (Karras et al., "A Style-Based Generator Architecture for GANs", CVPR 2019,
Sec. 3; the StyleGAN2-ADA metric ``metrics/perceptual_path_length.py``).

    PPL = E[ d(G(l(t)), G(l(t + ε))) / ε² ],   t ~ U(0, 1) ("full") or t = 0 ("end"), ε = 1e-4

where ``l`` interpolates between two latents ``z0, z1 ~ N(0, I)``: **slerp** in z (``space="z"``: the
latents are normalised to the unit sphere, as StyleGAN does) or **lerp** in w (``space="w"``: lerp
between ``mapping(z0)`` and ``mapping(z1)``). ``d`` is LPIPS on VGG16 features (quadratic in the
image difference, hence the ``ε²``). As StyleGAN2-ADA: images are centre-cropped to rows
``[3c, 7c)`` and columns ``[2c, 6c)`` with ``c = H/8`` (``crop=True``, its default; the face crop),
box-downsampled by ``H // 256`` when larger than 256, and the mean is taken over the samples between
the 1st ("lower") and 99th ("higher") percentiles.

Adapters: ``G`` is any callable from a batch of latents to images ``(n, C, H, W)``.

* z space: ``G(z)`` is the whole generator, e.g. ``lambda z: G_ema(z, None, noise_mode="const")``; or
  give ``mapping`` too and ``G`` is the synthesis network (slerp in z, then map, then synthesise).
* w space: ``mapping(z) -> w`` and ``G(w)`` the synthesis network; for StyleGAN2-ADA
  ``mapping=lambda z: G_ema.mapping(z, None)`` and ``G=lambda ws: G_ema.synthesis(ws, noise_mode="const")``
  (lerp acts elementwise, so ``ws`` of shape ``(n, num_ws, w_dim)`` work as they are).

The distance is a callable ``d(x0, x1) -> (n,)``: :func:`load_lpips_vgg16` (the user's StyleGAN2-ADA
``vgg16.pt``: the real PPL), :class:`DigitsFeatureDistance` (squared distance of the project's own
8×8-digit classifier features: **PPL-digits, not PPL**, on a different scale), or any other, e.g. the
squared Euclidean distance, for which a linear ``G`` has an exact PPL (tested).
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from .digits import DigitClassifier, FewSamplesWarning, NonFiniteSamplesWarning
from .progress import ProgressBar
from .vp import _device_of
from .weights_file import WeightsSpec, resolve_weights

__all__ = [
    "PPL_EPSILON",
    "VGG16_WEIGHTS",
    "DigitsFeatureDistance",
    "LPIPSDistance",
    "center_crop",
    "lerp",
    "load_lpips_vgg16",
    "perceptual_path_length",
    "slerp",
    "trimmed_mean",
]

Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Prior = Callable[[int, int, torch.Generator], torch.Tensor] | None

PPL_EPSILON = 1e-4
PPL_SAMPLES = 50_000  # StyleGAN2-ADA's ppl_zfull / ppl_wfull / ppl_zend / ppl_wend
# With fewer samples the 1 %/99 % trimming removes nothing [ours: the warning threshold].
MIN_TRIMMED_SAMPLES = 100

VGG16_WEIGHTS = WeightsSpec(
    what="VGG16 LPIPS weights (StyleGAN2-ADA's TorchScript)",
    filename="vgg16.pt",
    urls=("https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/vgg16.pt",),
    env_var="HJGAN_VGG16_WEIGHTS",
    option="--vgg-weights",
)


# -- interpolation ----------------------------------------------------------------------------------
def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of the *normalised* ``a``, ``b`` at ``t`` (StyleGAN2-ADA's ``slerp``):
    ``cos(tθ) â + sin(tθ) ĉ`` with ``θ = acos(â·b̂)`` and ``ĉ`` the unit part of ``b̂`` orthogonal to ``â``."""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    d = (a * b).sum(dim=-1, keepdim=True)
    p = t * torch.acos(d)
    c = b - d * a
    c = c / c.norm(dim=-1, keepdim=True)
    out = a * torch.cos(p) + c * torch.sin(p)
    return out / out.norm(dim=-1, keepdim=True)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``a + t (b − a)``, with ``t`` ``(n,)`` broadcast over the trailing dimensions."""
    return a + t.reshape(-1, *([1] * (a.ndim - 1))) * (b - a)


def center_crop(img: torch.Tensor) -> torch.Tensor:
    """StyleGAN's PPL crop of square ``(n, C, H, H)``: rows ``[3c, 7c)``, columns ``[2c, 6c)``, ``c = H // 8``."""
    if img.ndim != 4 or img.shape[2] != img.shape[3] or img.shape[2] < 8:
        raise ValueError(f"crop=True (StyleGAN's PPL face crop) needs square (n, C, H, H) images with H >= 8, got "
                         f"{tuple(img.shape)}; pass crop=False (--no-crop)")
    c = img.shape[2] // 8
    return img[:, :, 3 * c:7 * c, 2 * c:6 * c]


def _downsample(img: torch.Tensor, factor: int) -> torch.Tensor:
    """Box filter by ``factor`` (StyleGAN2-ADA: to 256×256 when the generator's resolution is larger)."""
    n, ch, h, w = img.shape
    return img.reshape(n, ch, h // factor, factor, w // factor, factor).mean(dim=(3, 5))


def trimmed_mean(values: np.ndarray, lower: float = 1.0, upper: float = 99.0) -> tuple[float, int]:
    """Mean of the values within ``[percentile(lower, 'lower'), percentile(upper, 'higher')]`` (StyleGAN2-ADA's
    PPL reduction); returns ``(mean, number kept)``."""
    values = np.asarray(values, dtype=np.float64)
    lo = np.percentile(values, lower, method="lower")
    hi = np.percentile(values, upper, method="higher")
    kept = values[(values >= lo) & (values <= hi)]
    return float(kept.mean()), int(kept.size)


# -- distances --------------------------------------------------------------------------------------
def _to_rgb255(img: torch.Tensor, value_range: tuple[float, float]) -> torch.Tensor:
    lo, hi = value_range
    img = (img - lo) * (255.0 / (hi - lo))
    return img.repeat(1, 3, 1, 1) if img.shape[1] == 1 else img


class LPIPSDistance:
    """LPIPS (Zhang et al. 2018) on VGG16 through StyleGAN2-ADA's TorchScript ``vgg16.pt``:
    ``d(x0, x1) = Σ (f(x0) − f(x1))²`` with ``f = model(x, resize_images=False, return_lpips=True)``, the
    channel-normalised, LPIPS-weighted VGG16 activations. Images ``(n, 1|3, H, W)`` with values in
    ``value_range`` (StyleGAN: ``(-1, 1)``) are mapped to ``[0, 255]``; grayscale is repeated to RGB."""

    def __init__(self, model: nn.Module, value_range: tuple[float, float] = (-1.0, 1.0)) -> None:
        self.model = model
        self.value_range = value_range

    @torch.no_grad()
    def __call__(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        img = _to_rgb255(torch.cat([x0, x1]).float(), self.value_range)
        try:
            feats = self.model(img, resize_images=False, return_lpips=True)
        except (RuntimeError, TypeError) as exc:
            raise ValueError(f"the VGG16 model did not take (img, resize_images=False, return_lpips=True): {exc}; "
                             f"{VGG16_WEIGHTS.how_to_get()}") from None
        f0, f1 = feats.flatten(1).chunk(2)
        return (f0 - f1).square().sum(1)


def load_lpips_vgg16(path: str | os.PathLike | None = None, device: str | torch.device = "cpu",
                     value_range: tuple[float, float] = (-1.0, 1.0)) -> LPIPSDistance:
    """:class:`LPIPSDistance` from the user's ``vgg16.pt`` (default ``$HJGAN_VGG16_WEIGHTS``), TorchScript.

    A missing file raises ``FileNotFoundError`` naming ``vgg16.pt`` and its official URL; a file that is
    not TorchScript raises ``ValueError``. Nothing is downloaded.
    """
    path = resolve_weights(path, VGG16_WEIGHTS)
    try:
        with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript; the official file is TorchScript
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(path, map_location=device)
    except (RuntimeError, ValueError) as exc:  # what torch.jit.load raises for non-TorchScript files
        raise ValueError(f"{path!r} is not a TorchScript module ({type(exc).__name__}); "
                         f"{VGG16_WEIGHTS.how_to_get()}") from None
    return LPIPSDistance(model.eval(), value_range)


class DigitsFeatureDistance:
    """``d(x0, x1) = Σ_channels ‖f(x0_c) − f(x1_c)‖²`` on :class:`.digits.DigitClassifier` features (64-d) of
    8×8 digit images in ``value_range`` (default ``(0, 1)``). PPL with it is **PPL-digits, not PPL**: the
    project's own classifier, not LPIPS/VGG16, so values are on another scale. Use ``crop=False``."""

    label = "PPL-digits"

    def __init__(self, classifier: DigitClassifier, value_range: tuple[float, float] = (0.0, 1.0)) -> None:
        self.classifier = classifier
        self.value_range = value_range

    def _feats(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[2:]) != (8, 8):
            raise ValueError(f"PPL-digits needs (n, C, 8, 8) digit images, got {tuple(x.shape)} (use crop=False)")
        lo, hi = self.value_range
        x = ((x.float() - lo) / (hi - lo)).cpu()
        n, c = x.shape[:2]
        return self.classifier.features(x.reshape(n * c, 1, 8, 8)).reshape(n, -1)

    @torch.no_grad()
    def __call__(self, x0: torch.Tensor, x1: torch.Tensor) -> torch.Tensor:
        return (self._feats(x0) - self._feats(x1)).double().square().sum(1)


# -- PPL --------------------------------------------------------------------------------------------
def _latents(prior: Prior, n: int, dim: int, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    if prior is None:
        return torch.randn(n, dim, generator=gen, dtype=dtype)
    z = torch.as_tensor(prior(n, dim, gen), dtype=dtype)
    if z.shape != (n, dim):
        raise ValueError(f"prior must return shape {(n, dim)}, got {tuple(z.shape)}")
    return z


def perceptual_path_length(
    G: Callable[[torch.Tensor], torch.Tensor],
    latent_dim: int,
    distance: Distance,
    *,
    space: str = "z",
    mapping: Callable[[torch.Tensor], torch.Tensor] | None = None,
    sampling: str = "full",
    n_samples: int = PPL_SAMPLES,
    epsilon: float = PPL_EPSILON,
    crop: bool = True,
    batch_size: int = 32,
    seed: int = 0,
    prior: Prior = None,
    dtype: torch.dtype = torch.float32,
    progress: bool = False,
    return_distances: bool = False,
) -> dict[str, object]:
    """PPL of ``G`` (module docstring), StyleGAN2-ADA's definition.

    Per batch of ``b`` samples (seeded ``torch.Generator(seed)``): ``t = U(0,1)`` (``sampling="full"``)
    or 0 (``"end"``), then ``z0, z1`` = the two halves of ``prior(2b, latent_dim)`` (default N(0, I)).
    ``space="z"``: ``G(slerp(z0, z1, t))`` vs ``G(slerp(z0, z1, t + ε))``; ``space="w"``:
    ``G(lerp(w0, w1, t))`` vs ``G(lerp(w0, w1, t + ε))`` with ``w = mapping(z)``. Each sample contributes
    ``distance(img_t, img_t+ε) / ε²`` after the crop and downsampling. Computations run in ``dtype``
    on ``G``'s device (float64 makes the ``ε = 1e-4`` difference exact to ~1e-9).

    Returns ``ppl`` (the 1–99 % trimmed mean), ``n`` (finite samples), ``n_nan`` (samples whose distance
    was NaN/inf: counted, excluded, warned about), ``n_kept`` (after trimming), and with
    ``return_distances=True`` the per-sample ``distances``.
    """
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    if space == "w" and mapping is None:
        raise ValueError("space='w' needs mapping= (z -> w); G is then the synthesis network G(w)")
    if sampling not in ("full", "end"):
        raise ValueError(f"sampling must be 'full' or 'end', got {sampling!r}")
    if latent_dim < 2 and space == "z":
        raise ValueError(f"slerp needs latent_dim >= 2, got {latent_dim}")
    if n_samples < 1 or batch_size < 1 or not epsilon > 0:
        raise ValueError(f"n_samples and batch_size must be >= 1 and epsilon > 0, got {n_samples}, {batch_size}, "
                         f"{epsilon}")
    if n_samples < MIN_TRIMMED_SAMPLES:
        warnings.warn(f"PPL on {n_samples} samples: the 1%/99% trimming removes nothing below "
                      f"{MIN_TRIMMED_SAMPLES}; StyleGAN2-ADA uses {PPL_SAMPLES}", FewSamplesWarning, stacklevel=2)
    gen = torch.Generator().manual_seed(seed)
    device = _device_of(G) if isinstance(G, nn.Module) else (
        _device_of(mapping) if isinstance(mapping, nn.Module) else torch.device("cpu"))
    dists = []
    full_res = None
    with ProgressBar(n_samples, "PPL samples", enabled=progress) as bar, torch.no_grad():
        for start in range(0, n_samples, batch_size):
            b = min(batch_size, n_samples - start)
            t = torch.rand(b, generator=gen, dtype=dtype) * (1.0 if sampling == "full" else 0.0)
            z0, z1 = _latents(prior, 2 * b, latent_dim, gen, dtype).to(device).chunk(2)
            t = t.to(device)
            if space == "w":
                w0, w1 = torch.as_tensor(mapping(torch.cat([z0, z1]))).to(dtype).chunk(2)
                inputs = torch.cat([lerp(w0, w1, t), lerp(w0, w1, t + epsilon)])
            else:
                tt = t.unsqueeze(1)
                inputs = torch.cat([slerp(z0, z1, tt), slerp(z0, z1, tt + epsilon)])
                if mapping is not None:  # StyleGAN's z space: slerp in z, then map, then synthesise
                    inputs = torch.as_tensor(mapping(inputs)).to(dtype)
            img = torch.as_tensor(G(inputs))
            if img.shape[0] != 2 * b:
                raise ValueError(f"G returned {img.shape[0]} outputs for {2 * b} latents")
            full_res = img.shape[2] if img.ndim == 4 else None
            if crop:
                img = center_crop(img)
            if full_res is not None and full_res // 256 > 1:
                img = _downsample(img, full_res // 256)
            x0, x1 = img.chunk(2)
            d = torch.as_tensor(distance(x0, x1)).reshape(-1)
            if d.shape[0] != b:
                raise ValueError(f"distance returned {d.shape[0]} values for {b} pairs; it must return one per pair")
            dists.append(d.double().cpu() / epsilon ** 2)
            bar.update(b)
    values = torch.cat(dists).numpy()
    finite = np.isfinite(values)
    n_nan = int((~finite).sum())
    if n_nan:
        warnings.warn(f"PPL: {n_nan} of {len(values)} samples gave a NaN/inf distance and were excluded",
                      NonFiniteSamplesWarning, stacklevel=2)
    if not finite.any():
        raise ValueError(f"PPL: all {len(values)} samples gave a NaN/inf distance (check G and the distance)")
    ppl, kept = trimmed_mean(values[finite])
    out: dict[str, object] = {"ppl": ppl, "n": int(finite.sum()), "n_nan": n_nan, "n_kept": kept}
    if return_distances:
        out["distances"] = values
    return out
