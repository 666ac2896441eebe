"""The mode-collapse remedies of the built-in plugins: top-k generator updates and spectral normalization of
D. Exact cases of the pure pieces, the gradient the session's term gives, the options through attach() and a
host's flags, and every refusal's message."""
from __future__ import annotations

import argparse
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import hjgan_plugin as hj
from hjgan_plugin import HJConfig
from hjgan_plugin.adapters import non_saturating_loss
from hjgan_plugin.remedies import apply_spectral_norm, plain_state_dict, topk_count, topk_fraction, topk_mean
from hjgan_plugin.testbed.models import Discriminator, Generator


def _nets(seed: int = 0):
    torch.manual_seed(seed)
    G, D = Generator(), Discriminator()
    return G, D, torch.optim.Adam(G.parameters(), lr=1e-3), torch.optim.Adam(D.parameters(), lr=1e-3)


# ------------------------------------------------------------------------------------------------ top-k
def test_topk_fraction_decays_per_period_to_nu():
    assert topk_fraction(0, 0.3, 0.5, 10) == 1.0
    assert topk_fraction(9, 0.3, 0.5, 10) == 1.0
    assert topk_fraction(10, 0.3, 0.5, 10) == 0.5
    assert topk_fraction(25, 0.3, 0.5, 10) == 0.3  # 0.25 < ν
    assert topk_fraction(10 ** 6, 0.75, 0.99, 1) == 0.75


def test_topk_count_and_mean_keep_the_smallest_losses():
    assert [topk_count(10, f) for f in (1.0, 0.55, 0.5, 1e-6)] == [10, 6, 5, 1]
    assert topk_mean(torch.tensor([3.0, 1.0, 2.0, 0.0]), 2).item() == 0.5


@pytest.mark.parametrize("args, message", [
    ((0, 0.0, 0.9, 1), r"ν .* must be in \(0, 1\], got 0.0"),
    ((0, 1.5, 0.9, 1), r"ν .* must be in \(0, 1\], got 1.5"),
    ((0, 0.5, 0.0, 1), r"γ .* must be in \(0, 1\], got 0.0"),
    ((0, 0.5, 0.9, 0), r"at least one generator step, got 0"),
])
def test_topk_schedule_refuses_bad_values(args, message):
    with pytest.raises(ValueError, match=message):
        topk_fraction(*args)


def test_topk_mean_refuses_a_loss_that_is_not_per_sample():
    with pytest.raises(ValueError, match=r"one generator loss per sample, shape \(N,\), got \(4, 2\)"):
        topk_mean(torch.zeros(4, 2), 2)


def test_topk_term_turns_the_loops_mean_loss_into_the_topk_loss():
    G, D, opt_g, opt_d = _nets()
    session = hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, adapter="non-saturating", penalty="none",
                        topk_nu=0.5, topk_gamma=0.5, topk_period=1)
    z = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    for _ in range(2):  # step 0: k = 16 (term 0); step 1: k = 8
        fake = G(z)
        loss = F.softplus(-D(fake)).mean() + session.generator_penalty(z, G_z=fake)
        opt_g.zero_grad()
        loss.backward()
        got = [p.grad.clone() for p in G.parameters()]
        opt_g.step()
    assert session.last["topk_k"] == 8.0
    # the gradient of the last step was the top-8 loss's, at the weights before that step: redo it by hand
    G_before, D_before, opt_g2, opt_d2 = _nets()
    s2 = hj.attach(G_before, D_before, optimizer_G=opt_g2, optimizer_D=opt_d2, adapter="non-saturating",
                   penalty="none", topk_nu=0.5, topk_gamma=0.5, topk_period=1)
    fake = G_before(z)
    (F.softplus(-D_before(fake)).mean() + s2.generator_penalty(z, G_z=fake)).backward()
    opt_g2.step()
    opt_g2.zero_grad()
    losses = F.softplus(-D_before(G_before(z))).flatten()
    losses.topk(8, largest=False).values.mean().backward()
    for a, b in zip(got, (p.grad for p in G_before.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_topk_off_by_default_adds_nothing():
    G, D, opt_g, opt_d = _nets()
    session = hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, penalty="none")
    z = torch.randn(4, 3)
    assert session.generator_penalty(z, G_z=G(z)).item() == 0.0 and "topk" not in session.last


def test_topk_refuses_an_adapter_without_per_sample_losses_and_no_D():
    G, D, opt_g, opt_d = _nets()
    with pytest.raises(ValueError, match="generator loss per sample, and adapter 'generic' does not give it; "
                                         "for a loop with the non-saturating loss"):
        hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, topk_nu=0.5)
    with pytest.raises(ValueError, match=r"--hj-topk-nu needs the discriminator, to score the fakes"):
        hj.attach(G, None, adapter="non-saturating", topk_nu=0.5)
    for nu in (0.0, 1.5, float("nan")):  # 1.5 once turned top-k off silently
        with pytest.raises(ValueError, match=r"--hj-topk-nu \(topk_nu\) must be a finite number in \(0, 1\]"):
            hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, adapter="non-saturating", topk_nu=nu)


def test_non_saturating_loss_per_sample():
    D = nn.Linear(3, 1)
    x = torch.randn(5, 3)
    torch.testing.assert_close(non_saturating_loss(D, x), F.softplus(-D(x)).flatten())


# ---------------------------------------------------------------------------------------- spectral norm
def _sigma(layer: nn.Module) -> float:
    w = layer.weight
    return float(torch.linalg.matrix_norm(w.detach().reshape(w.shape[0], -1), ord=2))


def test_spectral_norm_brings_every_layer_to_unit_sigma_and_keeps_the_optimizer():
    G, D, opt_g, opt_d = _nets()
    held = {id(p) for group in opt_d.param_groups for p in group["params"]}
    hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, penalty="none", spectral_norm=True)
    assert {id(p) for p in D.parameters()} == held
    x = torch.rand(8, 1, 16, 16)
    for _ in range(50):  # power iterations run in training-mode forwards
        D(x)
    D.eval()
    for layer in (D.features[0], D.features[2], D.head):
        assert _sigma(layer) == pytest.approx(1.0, abs=2e-3)
    before = D.head.parametrizations.weight.original.clone()
    D.train()
    opt_d.zero_grad()
    D(x).mean().backward()
    opt_d.step()
    assert not torch.equal(before, D.head.parametrizations.weight.original)


def test_plain_state_dict_loads_into_a_plain_D_with_the_same_outputs():
    _, D, *_ = _nets()
    assert apply_spectral_norm(D) == ["features.0", "features.2", "head"]
    x = torch.rand(8, 1, 16, 16)
    for _ in range(5):
        D(x)
    D.eval()
    plain = Discriminator()
    plain.load_state_dict(plain_state_dict(D), strict=True)
    torch.testing.assert_close(plain(x), D(x))
    assert apply_spectral_norm(D) == []  # already normalized: left as it is


def test_spectral_norm_refusals():
    G, D, opt_g, opt_d = _nets()
    with pytest.raises(ValueError, match=r"found no layer to normalize in Sequential: it wraps Linear, Conv1d"):
        apply_spectral_norm(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match=r"D must be an nn.Module, got function"):
        apply_spectral_norm(lambda x: x)
    with pytest.raises(ValueError, match=r"at least one power iteration, got 0"):
        apply_spectral_norm(D, 0)
    with pytest.raises(ValueError, match=r"--hj-spectral-norm needs the discriminator"):
        hj.attach(G, None, spectral_norm=True)


# ----------------------------------------------------------------------------------- options and hosts
def test_remedy_flags_reach_a_session_through_argparse():
    parser = HJConfig.add_argparse_args(argparse.ArgumentParser())
    opt = parser.parse_args(["--hj", "--hj-penalty", "none", "--hj-topk-nu", "0.75", "--hj-topk-period", "5",
                             "--hj-spectral-norm", "1"])
    G, D, opt_g, opt_d = _nets()
    session = hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, config=HJConfig.from_argparse(opt),
                        adapter="non-saturating")
    assert session.config.getoption("topk_nu") == 0.75 and session.config.getoption("topk_period") == 5
    assert hasattr(D.head, "parametrizations")
    assert session.state_dict()["config"]["spectral_norm"] is True


def test_pytorch_gan_adapters_carry_each_scripts_generator_loss():
    from hjgan_pytorch_gan.adapters import CONVENTIONS, MODELS
    from hjgan_pytorch_gan.losses import bce, boundary_seeking, mse, wasserstein

    def loss_of(model):
        return CONVENTIONS[MODELS[model]].adapter(model).generator_adversarial_loss

    assert loss_of("gan") is bce and loss_of("lsgan") is mse and loss_of("cgan") is mse
    assert loss_of("acgan") is None and loss_of("began") is None
    D = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    x = torch.randn(6, 2)
    p = D(x)
    valid = torch.ones(6, 1)
    torch.testing.assert_close(bce(D, x).mean(), nn.BCELoss()(p, valid))
    torch.testing.assert_close(mse(D, x).mean(), nn.MSELoss()(p, valid))
    torch.testing.assert_close(wasserstein(D, x).mean(), -p.mean())
    torch.testing.assert_close(boundary_seeking(D, x).mean(), 0.5 * torch.mean((torch.log(p) - torch.log(1 - p)) ** 2))
    assert not math.isnan(float(boundary_seeking(D, x).sum().detach()))


def test_pytorch_gan_adapters_carry_the_unconditional_scripts_discriminator_loss():
    from hjgan_pytorch_gan.adapters import CONVENTIONS, MODELS
    from hjgan_pytorch_gan.losses import bce_discriminator, mse_discriminator

    def loss_of(model):
        return CONVENTIONS[MODELS[model]].adapter(model).discriminator_loss

    assert loss_of("gan") is loss_of("dcgan") is loss_of("bgan") is bce_discriminator
    assert loss_of("lsgan") is mse_discriminator
    assert all(loss_of(m) is None for m in ("cgan", "wgan_gp", "acgan", "sgan", "infogan", "began", "ebgan", "aae"))
    D = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    real, fake = torch.randn(6, 2) + 1, torch.randn(6, 2)
    valid, zero = torch.ones(6, 1), torch.zeros(6, 1)
    # the scripts' own lines: (adversarial_loss(D(real), valid) + adversarial_loss(D(fake), fake)) / 2, lsgan 0.5 * (...)
    torch.testing.assert_close(bce_discriminator(D, real, fake), (nn.BCELoss()(D(real), valid) + nn.BCELoss()(D(fake), zero)) / 2)
    torch.testing.assert_close(mse_discriminator(D, real, fake), 0.5 * (nn.MSELoss()(D(real), valid) + nn.MSELoss()(D(fake), zero)))


def test_unrolled_runs_with_a_pytorch_gan_adapter_and_the_real_batch():
    """The lsgan adapter's losses drive the unrolled steps; the script glue forwards ``real``."""
    from hjgan_pytorch_gan import hj as script_hj
    from hjgan_pytorch_gan.adapters import CONVENTIONS

    torch.manual_seed(0)
    G, D = nn.Linear(3, 2), nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    session = script_hj.ScriptSession(hj.attach(G, D, adapter=CONVENTIONS["pytorch-gan"].adapter("lsgan"),
                                                penalty="none", unrolled_steps=2, unrolled_lr=0.1), 3, log_every=0)
    z, real = torch.randn(4, 3), torch.randn(4, 2)
    term = session.generator_penalty(z, G_z=G(z), real=real)
    assert term.requires_grad and float(term.detach()) != 0.0 and "unrolled" in session.last
    with pytest.raises(ValueError, match="needs the step's real batch"):
        session.generator_penalty(z, G_z=G(z))


# --------------------------------------------------------------------------------------------- unrolled
def _unrolled_setup(second_order: bool, steps: int = 2, lr: float = 0.5):
    torch.manual_seed(3)
    G = nn.Linear(2, 2).double()
    D = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    session = hj.attach(G, D, adapter="non-saturating", penalty="none", unrolled_steps=steps, unrolled_lr=lr,
                        unrolled_second_order=second_order)
    z = torch.randn(5, 2, dtype=torch.float64)
    real = torch.randn(5, 2, dtype=torch.float64) + 1.0
    return G, D, session, z, real


def _loss_against_unrolled(G, D, z, real, steps, lr, theta=None, frozen_D=None):
    """L_G against D unrolled by hand with plain SGD, as a function of G's weights (no autograd through it)."""
    from torch.func import functional_call

    g_params = theta if theta is not None else dict(G.named_parameters())
    fake = functional_call(G, g_params, (z,))
    if frozen_D is None:
        d = {n: p.detach().clone().requires_grad_(True) for n, p in D.named_parameters()}
        for _ in range(steps):
            loss = (F.softplus(-functional_call(D, d, (real,))).mean()
                    + F.softplus(functional_call(D, d, (fake.detach(),))).mean())
            grads = torch.autograd.grad(loss, list(d.values()))
            d = {n: (p - lr * g).detach().requires_grad_(True) for (n, p), g in zip(d.items(), grads)}
        frozen_D = d
    return F.softplus(-functional_call(D, frozen_D, (fake,))).mean(), frozen_D


@pytest.mark.parametrize("second_order", [True, False])
def test_unrolled_term_gives_the_gradient_against_the_unrolled_D(second_order):
    steps, lr = 2, 0.5
    G, D, session, z, real = _unrolled_setup(second_order, steps, lr)
    fake = G(z)
    (F.softplus(-D(fake)).mean() + session.generator_penalty(z, G_z=fake, real=real)).backward()
    got = {n: p.grad.clone() for n, p in G.named_parameters()}
    base = {n: p.detach().clone() for n, p in G.named_parameters()}
    _, frozen = _loss_against_unrolled(G, D, z, real, steps, lr)
    h = 1e-6
    for name, value in base.items():
        for i in range(value.numel()):
            bumped = []
            for sign in (1, -1):
                theta = {n: v.clone() for n, v in base.items()}
                theta[name].view(-1)[i] += sign * h
                with torch.enable_grad():
                    loss, _ = _loss_against_unrolled(G, D, z, real, steps, lr, theta,
                                                     frozen_D=None if second_order else frozen)
                bumped.append(float(loss))
            numeric = (bumped[0] - bumped[1]) / (2 * h)
            assert got[name].view(-1)[i].item() == pytest.approx(numeric, rel=1e-5, abs=1e-8), (name, i)


def test_unrolled_off_by_default_and_refusals():
    G, D, opt_g, opt_d = _nets()
    session = hj.attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, penalty="none")
    z = torch.randn(4, 3)
    assert session.generator_penalty(z, G_z=G(z)).item() == 0.0
    with pytest.raises(ValueError, match="needs the trainer's G and D losses, and adapter 'generic' does not give both"):
        hj.attach(G, D, unrolled_steps=2)
    with pytest.raises(ValueError, match=r"attach\(G, D, ...\) with D an nn.Module"):
        hj.attach(G, None, adapter="non-saturating", unrolled_steps=2)
    with pytest.raises(ValueError, match=r"--hj-unrolled-steps \(unrolled_steps\) must be an integer >= 0, got -1"):
        hj.attach(G, D, adapter="non-saturating", unrolled_steps=-1)
    with pytest.raises(ValueError, match=r"--hj-unrolled-lr \(unrolled_lr\) must be a finite number > 0, got 0.0"):
        hj.attach(G, D, adapter="non-saturating", unrolled_steps=1, unrolled_lr=0.0)
    session = hj.attach(G, D, adapter="non-saturating", penalty="none", unrolled_steps=1)
    with pytest.raises(ValueError, match=r"needs the step's real batch: session.generator_penalty\(z, G_z=fake, real=real\)"):
        session.generator_penalty(z, G_z=G(z))
