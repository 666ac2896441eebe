"""A frozen generator whose factor directions are known (tests and `hjgan discover` examples).

``Bumps(d, seed)``: the latent z (N, d) is rotated by a fixed random orthonormal R (its rows are the true
directions); factor i = tanh(r_i · z) moves one bump along the i-th horizontal strip of a 4d x 16 image.
Each factor changes its own pixels only, so the Hessian and Jacobian of G with respect to the
coefficients along R are diagonal and block-orthogonal: the directions a penalty method should find.
"""
import torch


class Bumps(torch.nn.Module):
    def __init__(self, d: int = 4, seed: int = 5):
        super().__init__()
        q, _ = torch.linalg.qr(torch.randn(d, d, generator=torch.Generator().manual_seed(seed)))
        self.register_buffer("R", q.T.contiguous())
        self.fc = torch.nn.Linear(d, 8)  # a layer the latent never reaches (for the refusal tests)
        self.d = d

    def forward(self, z):
        pos = torch.tanh(z @ self.R.T) * 2.5  # (N, d) factor positions
        xs = torch.linspace(-3, 3, 16, device=z.device)
        strips = torch.exp(-(xs.view(1, 1, 16) - pos.unsqueeze(2)) ** 2 / 0.5)  # (N, d, 16)
        return strips.repeat_interleave(4, dim=1).unsqueeze(1) * 2 - 1  # (N, 1, 4d, 16) in [-1, 1]


def make():
    return Bumps()
