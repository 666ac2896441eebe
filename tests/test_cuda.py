"""CUDA paths: the same numbers on the GPU, mixed precision, and the session on a CUDA device.

Skipped, with the reason, on machines without a CUDA device (CI); run on a GPU machine with
``bash scripts/test.sh tests/test_cuda.py``.
"""
from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from hjgan_plugin import LowPrecisionWarning, attach, hessian_penalty, jacobian_penalty, joint_penalty, rademacher

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def conv_generator(z_dim: int = 16) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Unflatten(1, (z_dim, 1, 1)),
        nn.ConvTranspose2d(z_dim, 32, 4, 1, 0), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(16, 3, 4, 2, 1), nn.Tanh(),
    )


def test_gpu_matches_cpu_in_float64():
    G = conv_generator().double()
    z = torch.randn(6, 16, dtype=torch.float64)
    v = rademacher((2, 6, 16), dtype=torch.float64)
    cpu = joint_penalty(G, z, 0.3, 0.7, directions=v)
    G_gpu = G.cuda()
    gpu = joint_penalty(G_gpu, z.cuda(), 0.3, 0.7, directions=v.cuda())
    torch.testing.assert_close(gpu.hessian.cpu(), cpu.hessian, rtol=1e-9, atol=0)
    torch.testing.assert_close(gpu.jacobian.cpu(), cpu.jacobian, rtol=1e-9, atol=0)


def test_directions_are_drawn_on_the_latents_device():
    G = conv_generator().cuda()
    z = torch.randn(4, 16, device="cuda")
    result = joint_penalty(G, z, 1.0, 1.0)
    assert result.directions.device.type == "cuda"
    assert set(result.directions.unique().tolist()) <= {-1.0, 1.0}


@pytest.mark.parametrize("dtype,epsilon", [(torch.float16, 0.1), (torch.bfloat16, 0.5)])
def test_autocast_penalty_warns_stays_close_to_fp32_and_is_differentiable(dtype, epsilon):
    # Measured (10 seeds, mean reduction): float16 at epsilon 0.1 and bfloat16 at 0.5 stay within a few
    # percent of float32; bfloat16 at 0.1 inflates the Hessian term ~1.4x (the warning says so).
    G = conv_generator().cuda()
    z = torch.randn(16, 16, device="cuda")
    v = rademacher((2, 16, 16), device="cuda")
    ref = joint_penalty(G, z, 1.0, 1.0, directions=v, epsilon=epsilon, reduction="mean")
    with torch.autocast("cuda", dtype=dtype), pytest.warns(LowPrecisionWarning, match="rounding enters"):
        amp = joint_penalty(G, z, 1.0, 1.0, directions=v, epsilon=epsilon, reduction="mean")
    assert amp.total.dtype == torch.float32  # differences are taken in float32
    assert 0.8 < float(amp.hessian.detach()) / float(ref.hessian.detach()) < 1.25
    assert 0.8 < float(amp.jacobian.detach()) / float(ref.jacobian.detach()) < 1.25
    amp.total.backward()
    assert all(torch.isfinite(p.grad).all() for p in G.parameters())


def test_float32_passes_do_not_warn():
    G = conv_generator().cuda()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowPrecisionWarning)
        joint_penalty(G, torch.randn(4, 16, device="cuda"), 1.0, 1.0)


def test_reference_signatures_on_cuda():
    G = conv_generator().cuda()
    z = torch.randn(4, 16, device="cuda")
    assert hessian_penalty(G, z).device.type == "cuda"
    assert jacobian_penalty(G, z, difference="central").device.type == "cuda"


def test_session_on_cuda_with_exchange():
    G = conv_generator().cuda()
    D = nn.Sequential(nn.Conv2d(3, 16, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(16, 32, 4, 2, 1),
                      nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(32 * 4 * 4, 1)).cuda()
    opt_g, opt_d = torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3)
    session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, exchange_every=1, exchange_strength=0.1)
    for _ in range(3):
        z = torch.randn(8, 16, device="cuda")
        fake = G(z)
        loss = nn.functional.softplus(-D(fake)).mean() + session.generator_penalty(z, G_z=fake)
        opt_g.zero_grad(); loss.backward(); opt_g.step()
        loss_d = nn.functional.softplus(D(fake.detach())).mean()
        opt_d.zero_grad(); loss_d.backward(); opt_d.step()
    assert session.exchange.count == 3 and session.steps == {"G": 3, "D": 3}
    assert all(torch.isfinite(p).all() for p in D.parameters())
    assert session.last["hj_hessian"] > 0
