"""Estimators against closed forms, against each other, and against the references' algorithm."""
from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from hjgan_plugin import LowPrecisionWarning, hessian_penalty, jacobian_penalty, joint_penalty, orojar, rademacher



@pytest.fixture(autouse=True)
def float64():
    """Exactness checks run in float64; restored afterwards so other modules keep float32."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def all_sign_directions(n: int, d: int) -> torch.Tensor:
    """Every ±1 pattern of length d as a direction, the same for each of n samples: (2^d, n, d).

    With all 2^d patterns and the population variance (unbiased=False) the variance over directions
    is the exact expectation, so the closed forms hold exactly, not only in expectation.
    """
    patterns = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=d)))
    return patterns[:, None, :].expand(-1, n, -1).contiguous()


def per_sample(estimator, n: int, **kwargs):
    """The estimator's per-sample values, one scalar reduction (sample i) at a time: a reduction must return a
    scalar, so the exact cases read each sample through its own."""
    values = [estimator(reduction=lambda x, i=i: x[i], **kwargs) for i in range(n)]
    if isinstance(values[0], list):  # return_separately: per layer
        return [torch.stack(layer) for layer in zip(*values)]
    return torch.stack(values)


# ----------------------------------------------------------------------------- closed forms
def test_linear_generator_has_zero_hessian_term():
    torch.manual_seed(0)
    G = nn.Linear(4, 7)
    z = torch.randn(5, 4)
    assert hessian_penalty(G, z, k=6).abs().item() < 1e-10
    assert hessian_penalty(G, z, k=6, reduction="mean").abs().item() < 1e-10


def test_linear_generator_with_orthogonal_columns_has_exactly_zero_jacobian_term():
    torch.manual_seed(1)
    q, _ = torch.linalg.qr(torch.randn(9, 4))
    G = nn.Linear(4, 9)
    with torch.no_grad():
        G.weight.copy_(q * torch.tensor([0.5, 2.0, 3.0, 7.0]))  # orthogonal, unequal norms
    z = torch.randn(6, 4)
    for difference in ("forward", "central"):
        value = jacobian_penalty(G, z, k=8, difference=difference)
        assert value.abs().item() < 1e-10, difference


def test_linear_generator_jacobian_term_is_exact_closed_form():
    torch.manual_seed(2)
    G = nn.Linear(3, 5)
    z = torch.randn(4, 3)
    J = G.weight  # (5, 3): columns J_i
    gram = J.T @ J
    expected = 2 * (gram ** 2).sum() - 2 * (gram.diagonal() ** 2).sum()  # 2 Σ_{i≠j} (J_iᵀJ_j)²
    v = all_sign_directions(4, 3)
    for difference in ("forward", "central"):
        value = per_sample(jacobian_penalty, 4, G=G, z=z, k=8, directions=v, unbiased=False,
                           difference=difference)
        torch.testing.assert_close(value, expected.expand(4), rtol=1e-9, atol=1e-9)


def test_reference_closed_form_multilayer_hessian_is_exact_with_all_directions():
    # The reference test case: G(z) = [z0·z1, z0²·z1]; 2Σ_{i≠j}H_ij² = [4, 16·z0²].
    torch.manual_seed(3)
    z = torch.randn(10, 2)

    def G(z):
        return [z[:, 0] * z[:, 1], (z[:, 0] ** 2) * z[:, 1]]

    v = all_sign_directions(10, 2)
    layers = per_sample(hessian_penalty, 10, G=G, z=z, k=4, directions=v, unbiased=False, return_separately=True)
    torch.testing.assert_close(layers[0], torch.full((10,), 4.0), rtol=1e-8, atol=1e-8)
    torch.testing.assert_close(layers[1], 16 * z[:, 0] ** 2, rtol=1e-8, atol=1e-8)


def test_reference_closed_form_in_expectation_with_random_directions():
    torch.manual_seed(4)
    z = torch.randn(10, 2)

    def G(z):
        return [z[:, 0] * z[:, 1], (z[:, 0] ** 2) * z[:, 1]]

    def reduction(x):
        return x.abs().mean()

    layers = hessian_penalty(G, z, k=4000, reduction=reduction, return_separately=True)
    assert layers[0].item() == pytest.approx(4.0, rel=0.06)
    assert layers[1].item() == pytest.approx(reduction(16 * z[:, 0] ** 2).item(), rel=0.06)


def test_quadratic_generator_jacobian_closed_form_with_central_difference():
    # G(z) = [z0·z1, z1·z2, z0²]: J = [[z1, z0, 0], [0, z2, z1], [2z0, 0, 0]]; central differences are
    # exact for quadratics, so with all directions Var(‖Jv‖²) = 2Σ_{i≠j}(J_iᵀJ_j)² exactly.
    torch.manual_seed(5)
    z = torch.randn(6, 3)

    def G(z):
        return torch.stack([z[:, 0] * z[:, 1], z[:, 1] * z[:, 2], z[:, 0] ** 2], dim=1)

    J = torch.zeros(6, 3, 3)
    J[:, 0, 0], J[:, 0, 1] = z[:, 1], z[:, 0]
    J[:, 1, 1], J[:, 1, 2] = z[:, 2], z[:, 1]
    J[:, 2, 0] = 2 * z[:, 0]
    gram = J.transpose(1, 2) @ J
    expected = 2 * (gram ** 2).sum((1, 2)) - 2 * (gram.diagonal(dim1=1, dim2=2) ** 2).sum(1)
    v = all_sign_directions(6, 3)
    value = per_sample(jacobian_penalty, 6, G=G, z=z, k=8, directions=v, unbiased=False, difference="central")
    torch.testing.assert_close(value, expected, rtol=1e-9, atol=1e-9)
    # forward differences carry an O(ε) error that vanishes with ε
    coarse = per_sample(jacobian_penalty, 6, G=G, z=z, k=8, directions=v, unbiased=False, epsilon=1e-2)
    fine = per_sample(jacobian_penalty, 6, G=G, z=z, k=8, directions=v, unbiased=False, epsilon=1e-4)
    assert (fine - expected).abs().max() < (coarse - expected).abs().max()
    torch.testing.assert_close(fine, expected, rtol=1e-2, atol=1e-3)


def test_unbiased_variance_is_k_over_k_minus_1_times_population():
    torch.manual_seed(6)
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4))
    z = torch.randn(5, 3)
    v = rademacher((3, 5, 3), dtype=torch.float64)
    for fn in (hessian_penalty, jacobian_penalty):
        a = fn(G, z, k=3, directions=v, reduction="sum", unbiased=True)
        b = fn(G, z, k=3, directions=v, reduction="sum", unbiased=False)
        torch.testing.assert_close(a, b * 3 / 2)


def test_variance_over_directions_is_torch_var_with_its_gradient():
    """The written-out variance (Eq. 6, 9) gives torch.var's value and gradient, both conventions, any k."""
    from hjgan_plugin.estimators import variance_over_directions

    for k, unbiased in itertools.product((2, 3, 7), (True, False)):
        x = torch.randn(k, 5, 3, 4, generator=torch.Generator().manual_seed(k), requires_grad=True)
        weights = torch.randn(5, 3, 4, generator=torch.Generator().manual_seed(99))
        mine = variance_over_directions(x, unbiased)
        (g_mine,) = torch.autograd.grad((mine * weights).sum(), x)
        ref = torch.var(x, dim=0, unbiased=unbiased)
        (g_ref,) = torch.autograd.grad((ref * weights).sum(), x)
        torch.testing.assert_close(mine, ref, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(g_mine, g_ref, rtol=1e-12, atol=1e-14)
    two = torch.tensor([[1.0, 4.0], [3.0, 0.0]])  # k = 2: (a - b)² / 2, population (a - b)² / 4
    torch.testing.assert_close(variance_over_directions(two), torch.tensor([2.0, 8.0]))
    torch.testing.assert_close(variance_over_directions(two, unbiased=False), torch.tensor([1.0, 4.0]))


# ----------------------------------------------------------------------------- joint == separate
def make_mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.Softplus(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 6))


class TwoLayerOutput(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(4, 12), nn.Tanh())
        self.b = nn.Linear(12, 5)

    def forward(self, z):
        h = self.a(z)
        return [h, torch.sigmoid(self.b(h))]


@pytest.mark.parametrize("difference", ["forward", "central"])
@pytest.mark.parametrize("given_G_z", [False, True])
def test_joint_terms_equal_separate_estimators(difference, given_G_z):
    G = TwoLayerOutput()
    z = torch.randn(7, 4)
    v = rademacher((3, 7, 4), dtype=torch.float64)
    G_z = G(z) if given_G_z else None
    joint = joint_penalty(G, z, alpha=0.3, beta=0.7, k=3, directions=v, difference=difference, G_z=G_z)
    h = hessian_penalty(G, z, k=3, directions=v, return_separately=True, G_z=G_z)
    j = jacobian_penalty(G, z, k=3, directions=v, difference=difference, return_separately=True, G_z=G_z)
    for a, b in zip(joint.hessian_layers, h):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0)
    for a, b in zip(joint.jacobian_layers, j):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=0)
    torch.testing.assert_close(joint.total, 0.3 * (h[0] + h[1]) + 0.7 * (j[0] + j[1]), rtol=1e-12, atol=0)
    assert joint.finite
    assert set(joint.scalars()) >= {"hj_hessian", "hj_jacobian", "hj_total", "hj_hessian_layer1"}


def test_gradients_reach_generator_parameters():
    G = make_mlp()
    z = torch.randn(8, 4)
    joint = joint_penalty(G, z, alpha=1.0, beta=1.0)
    joint.total.backward()
    for name, p in G.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert any(p.grad.abs().sum() > 0 for p in G.parameters())


def test_gradient_matches_autograd_of_the_loop_formula():
    # the penalty's gradient is that of the formula computed pass by pass
    G = make_mlp(1)
    z = torch.randn(5, 4)
    v = rademacher((2, 5, 4), dtype=torch.float64)
    joint_penalty(G, z, 1.0, 0.5, directions=v).total.backward()
    batched = [p.grad.clone() for p in G.parameters()]
    G.zero_grad()
    reference_loop(G, z, v, 0.1, "hessian").mul(1.0).add(reference_loop(G, z, v, 0.1, "jacobian").mul(0.5)).backward()
    for a, b in zip(batched, (p.grad for p in G.parameters())):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- reference algorithm
def reference_loop(G, z, v, epsilon, kind, reduction=torch.max):
    """The references' algorithm written out: one direction at a time, one forward per pass."""
    G_z = G(z)
    values = []
    for direction in v:
        x = epsilon * direction
        if kind == "hessian":
            values.append((G(z + x) - 2 * G_z + G(z - x)) / epsilon ** 2)
        else:
            d = (G(z + x) - G_z) / epsilon
            values.append(torch.bmm(d.view(d.size(0), 1, -1), d.view(d.size(0), -1, 1)))
    return reduction(torch.var(torch.stack(values), dim=0, unbiased=True))


@pytest.mark.parametrize("kind", ["hessian", "jacobian"])
def test_matches_reference_algorithm_under_same_directions(kind):
    G = make_mlp(2)
    z = torch.randn(6, 4)
    v = rademacher((2, 6, 4), dtype=torch.float64)
    fn = hessian_penalty if kind == "hessian" else jacobian_penalty
    torch.testing.assert_close(fn(G, z, directions=v), reference_loop(G, z, v, 0.1, kind), rtol=1e-12, atol=0)


def test_same_seed_draws_the_references_directions():
    # Without `directions`, the RNG is consumed exactly as the references do (random_(0, 2), 0 -> -1).
    G = make_mlp(3)
    z = torch.randn(4, 4)
    torch.manual_seed(123)
    ours = hessian_penalty(G, z, k=3)
    torch.manual_seed(123)
    x = torch.empty((3, 4, 4))
    x.random_(0, 2)
    x[x == 0] = -1
    torch.testing.assert_close(ours, reference_loop(G, z, x, 0.1, "hessian"), rtol=1e-12, atol=0)
    assert orojar is jacobian_penalty


# ----------------------------------------------------------------------------- passes
class CountingG(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = make_mlp(4)
        self.calls: list[int] = []

    def forward(self, z, labels=None):
        self.calls.append(z.shape[0])
        out = self.net(z)
        return out if labels is None else out + labels[:, None].to(out.dtype)


@pytest.mark.parametrize("fn,given,expected", [
    (joint_penalty, True, 2 * 3), (joint_penalty, False, 2 * 3 + 1),
    (hessian_penalty, True, 2 * 3), (hessian_penalty, False, 2 * 3 + 1),
    (jacobian_penalty, True, 3), (jacobian_penalty, False, 3 + 1),
])
def test_one_batched_forward_with_the_minimum_number_of_samples(fn, given, expected):
    G = CountingG()
    z = torch.randn(5, 4)
    G_z = G(z) if given else None
    G.calls.clear()
    args = (1.0, 1.0) if fn is joint_penalty else ()
    fn(G, z, *args, k=3, G_z=G_z, check_determinism="never")
    assert G.calls == [5 * expected]


def test_central_jacobian_never_needs_G_z():
    G = CountingG()
    jacobian_penalty(G, torch.randn(5, 4), k=3, difference="central", check_determinism="never")
    assert G.calls == [5 * 6]


def test_batched_and_per_pass_results_agree_and_labels_follow_their_samples():
    G = CountingG()
    z, labels = torch.randn(5, 4), torch.arange(5)
    v = rademacher((2, 5, 4), dtype=torch.float64)
    a = joint_penalty(G, z, 1.0, 1.0, directions=v, labels=labels, batched=True, check_determinism="never")
    b = joint_penalty(G, z, 1.0, 1.0, directions=v, labels=labels, batched=False, check_determinism="never")
    torch.testing.assert_close(a.total, b.total, rtol=1e-12, atol=0)
    # labels shift the output by a constant per sample, which finite differences cancel: the labels
    # must have been repeated next to their own samples, or the batched result would differ.
    c = joint_penalty(G, z, 1.0, 1.0, directions=v, batched=True, check_determinism="never")
    torch.testing.assert_close(a.total, c.total, rtol=1e-12, atol=0)


def test_fp16_style_outputs_are_differenced_in_float32():
    G = make_mlp(5).float()
    z = torch.randn(4, 4, dtype=torch.float32)

    def G_half(z):
        return G(z).to(torch.bfloat16)

    with pytest.warns(LowPrecisionWarning, match="bfloat16"):
        value = hessian_penalty(G_half, z)
    assert value.dtype == torch.float32 and torch.isfinite(value)
