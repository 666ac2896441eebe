"""Published reference for the 2D sets: PacGAN's Table 1, and how its protocol differs from ours."""
from __future__ import annotations

from typing import Any

from ..common.markdown import table
from .configs import BETAS

# Published numbers, not ours: PacGAN (Lin, Khetan, Fanti, Oh, NeurIPS 2018), Table 1, mean ± standard error over
# 10 trials, as printed in the paper (image of the table in the authors' repository fjxmlzn/PacGAN,
# synthetic_data_experiments/results/Table1.png). Columns: ring modes (max 8), HQ %, reverse KL, grid modes
# (max 25), HQ %, reverse KL.
PACGAN_TABLE1 = (
    ("GAN", "6.3 ± 0.5", "98.2 ± 0.2 %", "0.45 ± 0.09", "17.3 ± 0.8", "94.8 ± 0.7 %", "0.70 ± 0.07"),
    ("ALI", "6.6 ± 0.3", "97.6 ± 0.4 %", "0.36 ± 0.04", "24.1 ± 0.4", "95.7 ± 0.6 %", "0.14 ± 0.03"),
    ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0 %", "0.07 ± 0.03", "23.8 ± 0.7", "91.3 ± 0.8 %", "0.13 ± 0.04"),
    ("PacGAN3", "7.8 ± 0.1", "97.7 ± 0.3 %", "0.10 ± 0.02", "24.6 ± 0.4", "94.2 ± 0.4 %", "0.06 ± 0.02"),
    ("PacGAN4", "7.8 ± 0.1", "95.9 ± 1.4 %", "0.07 ± 0.02", "24.8 ± 0.2", "93.6 ± 0.6 %", "0.04 ± 0.01"),
)


def render_pacgan(settings: dict[str, Any]) -> list[str]:
    """The published table and the protocol differences (markdown lines)."""
    it = settings["iters"]
    lines = ["## Published reference: PacGAN Table 1 (not our runs)", "",
             ("Lin, Khetan, Fanti, Oh, \"PacGAN: The power of two samples in generative adversarial networks\", "
             "NeurIPS 2018, Table 1, as published (mean ± **standard error** over 10 trials; checked against the "
             "table image in the authors' repository `fjxmlzn/PacGAN`, `synthetic_data_experiments/results/`):"), ""]
    lines += table(["method", "ring modes (max 8)", "ring HQ", "ring reverse KL", "grid modes (max 25)", "grid HQ",
                    "grid reverse KL"], PACGAN_TABLE1)
    lines += ["", ("Their protocol (the authors' released `2DRing_GAN&PacGAN` / `2DGrid_GAN&PacGAN` configs and code) "
              "differs from ours in:"), "",
              ("- **networks**: G 4 hidden layers of 400 ReLU units with batch norm, D 3 maxout layers of 200 units "
              f"(5 pieces); ours: 2 hidden layers of {settings['width']} units, no batch norm, LeakyReLU D;"),
              ("- **training**: Adam lr 1e-4, β1 0.8, batch 100, 400 epochs of a fixed 100,000-sample training set "
              f"(400 × 1,000 = 400,000 iterations); ours: Adam lr {settings['lr']['ring']:g}, β1 {BETAS[0]}, batch "
              f"{settings['batch']}, fresh samples every batch, {it.get('ring', '–')} (ring) / {it.get('grid', '–')} "
              "(grid) iterations; the same non-saturating loss;"),
              ("- **data**: their ring has radius 1 and std 0.01 (ours radius 2, std 0.02: the same ratio, so the "
              "counts do not change); the grid is the same;"),
              ("- **metric**: 2,500 generated samples, high quality = Mahalanobis distance < 3 std to the nearest "
              "mean (ours ≤ 3 std), a mode counts with ≥ 1 HQ sample (our loose count; PacGAN has no strict "
              "count), reverse KL of the HQ mode histogram vs uniform (as ours);"),
              ("- **spread**: they report the standard error over 10 trials; we report the standard deviation over "
              f"{len(settings['seeds'])} seeds (SE = std/√{len(settings['seeds'])})."), "",
              "So the two tables are not comparable number for number.", ""]
    return lines
