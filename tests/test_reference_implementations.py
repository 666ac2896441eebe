"""Agreement with the upstream reference implementations, run against the real files.

Opt-in: these tests import the references from user checkouts (never committed here):

    HJGAN_HESSIAN_PENALTY_DIR  a checkout of wpeebles/hessian_penalty (holds hessian_penalty_pytorch.py)
    HJGAN_OROJAR_DIR           a checkout of csyxwei/OroJaR (holds orojar_pytorch.py)

They skip, saying which variable is missing, when a path is not set. The same algorithm is checked
without the checkouts in tests/test_estimators.py.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from hjgan_plugin import hessian_penalty, jacobian_penalty, joint_penalty, rademacher


def load_reference(env: str, filename: str, monkeypatch):
    root = os.environ.get(env)
    if not root:
        pytest.skip(f"set {env} to a checkout holding {filename} to compare with the reference implementation")
    path = Path(root) / filename
    if not path.is_file():
        pytest.fail(f"{env}={root} does not contain {filename}")
    try:
        import tqdm  # noqa: F401  (orojar_pytorch imports it for its own demo only)
    except ImportError:
        stub = types.ModuleType("tqdm")
        stub.tqdm = lambda iterable: iterable
        monkeypatch.setitem(sys.modules, "tqdm", stub)
    spec = importlib.util.spec_from_file_location(f"_ref_{filename[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hp_ref(monkeypatch):
    return load_reference("HJGAN_HESSIAN_PENALTY_DIR", "hessian_penalty_pytorch.py", monkeypatch)


@pytest.fixture
def orojar_ref(monkeypatch):
    return load_reference("HJGAN_OROJAR_DIR", "orojar_pytorch.py", monkeypatch)


class MultiLayer(nn.Module):
    def __init__(self, dtype):
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Sequential(nn.Linear(6, 32), nn.Softplus()).to(dtype)
        self.b = nn.Sequential(nn.Linear(32, 3 * 8 * 8), nn.Tanh()).to(dtype)

    def forward(self, z, shift=None):
        h = self.a(z)
        out = self.b(h).view(-1, 3, 8, 8)
        return [h, out if shift is None else out + shift]


@pytest.fixture
def default_dtype():
    """The references draw directions in the *default* dtype and perturb by ``epsilon * v`` in it; a
    float32 default perturbs a float64 z by float32(0.1)·v (1.5e-8 off 0.1) while dividing by 0.1.
    Each comparison sets the default dtype to the tensors' dtype so both sides take the same steps."""
    previous = torch.get_default_dtype()

    def set_(dtype):
        torch.set_default_dtype(dtype)

    yield set_
    torch.set_default_dtype(previous)


TOL = {torch.float64: dict(rtol=1e-12, atol=0.0), torch.float32: dict(rtol=1e-5, atol=1e-7)}


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("with_G_z", [False, True])
def test_hessian_penalty_same_seed_same_number(hp_ref, dtype, with_G_z, default_dtype):
    default_dtype(dtype)
    G = MultiLayer(dtype)
    z = torch.randn(5, 6, dtype=dtype)
    G_z = G(z) if with_G_z else None
    for kwargs in (dict(), dict(k=3, epsilon=0.05, return_separately=True), dict(reduction=torch.mean)):
        torch.manual_seed(11)
        ref = hp_ref.hessian_penalty(G, z, G_z=G_z, **kwargs)
        torch.manual_seed(11)
        ours = hessian_penalty(G, z, G_z=G_z, **kwargs)
        torch.testing.assert_close(ours, ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_orojar_same_seed_same_number(orojar_ref, dtype, default_dtype):
    default_dtype(dtype)
    G = MultiLayer(dtype)
    z = torch.randn(5, 6, dtype=dtype)
    for kwargs in (dict(), dict(k=4, epsilon=0.2, return_separately=True), dict(G_z=G(z))):
        torch.manual_seed(12)
        ref = orojar_ref.orojar(G, z, **kwargs)
        torch.manual_seed(12)
        ours = jacobian_penalty(G, z, **kwargs)
        torch.testing.assert_close(ours, ref, **TOL[dtype])


def test_g_kwargs_are_passed_like_the_reference(hp_ref, default_dtype):
    default_dtype(torch.float64)
    G = MultiLayer(torch.float64)
    z = torch.randn(4, 6, dtype=torch.float64)
    shift = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    torch.manual_seed(3)
    ref = hp_ref.hessian_penalty(G, z, shift=shift)
    torch.manual_seed(3)
    torch.testing.assert_close(hessian_penalty(G, z, shift=shift), ref, **TOL[torch.float64])


def test_joint_equals_both_references_under_the_same_directions(hp_ref, orojar_ref, monkeypatch):
    G = MultiLayer(torch.float64)
    z = torch.randn(6, 6, dtype=torch.float64)
    v = rademacher((2, 6, 6), dtype=torch.float64)
    monkeypatch.setattr(hp_ref, "rademacher", lambda shape, device="cpu": v.clone())
    monkeypatch.setattr(orojar_ref, "rademacher", lambda shape, device="cpu": v.clone())
    joint = joint_penalty(G, z, alpha=0.4, beta=0.6, directions=v)
    ref_h = hp_ref.hessian_penalty(G, z, return_separately=True)
    ref_j = orojar_ref.orojar(G, z, return_separately=True)
    for ours, ref in zip(joint.hessian_layers + joint.jacobian_layers, ref_h + ref_j):
        torch.testing.assert_close(ours, ref, **TOL[torch.float64])
    torch.testing.assert_close(joint.total, 0.4 * sum(ref_h) + 0.6 * sum(ref_j), **TOL[torch.float64])


def test_reference_closed_form_example(hp_ref):
    # the reference's own _test_hessian_penalty case: same seed, same estimate
    z = torch.randn(10, 2)

    def G(z):
        return [z[:, 0] * z[:, 1], (z[:, 0] ** 2) * z[:, 1]]

    def reduction(x):
        return x.abs().mean()

    torch.manual_seed(4)
    ref = hp_ref.hessian_penalty(G, z, k=100, reduction=reduction, return_separately=True)
    torch.manual_seed(4)
    ours = hessian_penalty(G, z, k=100, reduction=reduction, return_separately=True)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)
