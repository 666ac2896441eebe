"""Every bad input's error message, and the generators the estimator must refuse or handle (docs/design.md §5)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from hjgan_plugin import (NondeterministicGeneratorError, capture, hessian_penalty, jacobian_penalty,
                          joint_penalty, rademacher)
from hjgan_plugin.passes import forget_probes


def mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 5))


@pytest.fixture(autouse=True)
def fresh_probes():
    forget_probes()
    yield
    forget_probes()


# ----------------------------------------------------------------------------- hyperparameters, shapes
@pytest.mark.parametrize("fn", [hessian_penalty, jacobian_penalty])
def test_k_below_two_is_refused(fn):
    with pytest.raises(ValueError, match=r"k must be an integer >= 2"):
        fn(mlp(), torch.randn(4, 3), k=1)


@pytest.mark.parametrize("epsilon", [0.0, -0.1, float("inf"), float("nan"), True, "0.1"])
def test_nonpositive_or_nonfinite_epsilon_is_refused(epsilon):
    with pytest.raises(ValueError, match=r"epsilon must be a finite number > 0"):
        hessian_penalty(mlp(), torch.randn(4, 3), epsilon=epsilon)


def test_latent_without_batch_dimension_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"z must have a batch dimension.*unsqueeze\(0\)"):
        joint_penalty(mlp(), torch.randn(3), 1.0, 1.0)


@pytest.mark.parametrize("fn", [hessian_penalty, lambda G, z: joint_penalty(G, z, 1.0, 1.0)])
def test_empty_batch_is_refused_with_the_fix(fn):
    with pytest.raises(ValueError, match=r"z is an empty batch \(shape \(0, 3\)\).*Skip the call"):
        fn(mlp(), torch.randn(0, 3))


def test_empty_batch_is_refused_by_the_session_too():
    from hjgan_plugin import attach

    for penalty in ("joint", "none"):  # also when only plugins' terms would run
        with pytest.raises(ValueError, match="empty batch"):
            attach(mlp(), None, penalty=penalty).generator_penalty(torch.randn(0, 3))


def test_integer_latent_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        hessian_penalty(mlp(), torch.ones(4, 3, dtype=torch.long))


def test_directions_of_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"directions must have shape \(k, \*z.shape\) = \(2, 4, 3\)"):
        hessian_penalty(mlp(), torch.randn(4, 3), directions=rademacher((2, 4, 2)))


def test_directions_not_plus_minus_one_are_refused():
    v = rademacher((2, 4, 3)) * 0.1
    with pytest.raises(ValueError, match=r"only \+1 and -1"):
        jacobian_penalty(mlp(), torch.randn(4, 3), directions=v)


def test_unknown_difference_and_reduction_are_refused():
    with pytest.raises(ValueError, match=r"difference must be one of \['forward', 'central'\]"):
        jacobian_penalty(mlp(), torch.randn(4, 3), difference="backward")
    with pytest.raises(ValueError, match="reduction must be a callable or one of"):
        hessian_penalty(mlp(), torch.randn(4, 3), reduction="median")


def test_output_without_batch_dimension_is_refused():
    with pytest.raises(ValueError, match="batch dimension first"):
        hessian_penalty(lambda z: z.sum(), torch.randn(4, 3), check_determinism="never")


# ----------------------------------------------------------------------------- determinism
class NoisyG(nn.Module):
    """StyleGAN2-like: adds per-call random noise unless noise_mode='const'."""

    def __init__(self, strength=0.1):
        super().__init__()
        self.net = mlp()
        self.strength = strength

    def forward(self, z, noise_mode="random"):
        out = self.net(z)
        if noise_mode == "random":
            out = out + self.strength * torch.randn_like(out)
        return out


def test_random_noise_raises_the_determinism_error_naming_the_fix():
    with pytest.raises(NondeterministicGeneratorError, match=r"changed between two identical calls.*noise_mode='const'"):
        joint_penalty(NoisyG(), torch.randn(4, 3), 1.0, 1.0)


def test_fixed_noise_passes():
    value = joint_penalty(NoisyG(), torch.randn(4, 3), 1.0, 1.0, noise_mode="const")
    assert torch.isfinite(value.total)


def test_dropout_in_training_mode_is_refused_and_eval_mode_accepted():
    G = nn.Sequential(nn.Linear(3, 16), nn.Dropout(0.5), nn.Linear(16, 4))
    with pytest.raises(NondeterministicGeneratorError, match=r"dropout in training mode \(1, p=0.5\)"):
        hessian_penalty(G, torch.randn(4, 3))
    G.eval()
    assert torch.isfinite(hessian_penalty(G, torch.randn(4, 3)))


def test_nondeterministic_plain_function_is_caught_by_the_probe():
    def G(z):
        return z * (1 + 0.01 * torch.rand(1))

    with pytest.raises(NondeterministicGeneratorError):
        hessian_penalty(G, torch.randn(4, 3))


def test_bad_check_mode_is_refused():
    with pytest.raises(ValueError, match="check_determinism must be one of"):
        hessian_penalty(mlp(), torch.randn(4, 3), check_determinism="sometimes")


# ----------------------------------------------------------------------------- BatchNorm in training mode
class BNG(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.fc = nn.Linear(3, 8)
        self.bn = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, 4)
        self.batch_sizes: list[int] = []

    def forward(self, z):
        self.batch_sizes.append(z.shape[0])
        return self.out(torch.tanh(self.bn(self.fc(z))))


def test_batchnorm_in_training_runs_one_pass_per_batch_and_keeps_running_stats():
    G = BNG()
    z = torch.randn(6, 3)
    G(z)  # the adversarial pass updates the statistics once
    before = {k: v.clone() for k, v in G.bn.state_dict().items()}
    G.batch_sizes.clear()
    v = rademacher((2, 6, 3))
    result = joint_penalty(G, z, 1.0, 1.0, directions=v, check_determinism="never")
    assert G.batch_sizes == [6] * 5  # G(z) + 2k passes, each with the adversarial batch composition
    for key, value in G.bn.state_dict().items():
        assert torch.equal(value, before[key]), key
    # equals the formula evaluated pass by pass, each with batch statistics of its own perturbed batch
    with torch.no_grad():
        outs = [G(z + 0.1 * d) for d in v] + [G(z - 0.1 * d) for d in v]
        base = G(z)
    G.bn.load_state_dict(before)
    d2 = [(outs[i] - 2 * base + outs[2 + i]) / 0.01 for i in range(2)]
    torch.testing.assert_close(result.hessian.detach(), torch.var(torch.stack(d2), dim=0).max())


def test_batchnorm_is_detected_through_the_probe_for_an_opaque_function():
    G = BNG()
    batched = []

    def opaque(z):  # the plugin cannot see the module behind this function
        batched.append(z.shape[0])
        return G(z)

    hessian_penalty(opaque, torch.randn(6, 3))
    assert batched[-5:] == [6] * 5  # the probe found batch dependence: one pass per batch


def test_forcing_batched_on_batchnorm_is_refused():
    with pytest.raises(ValueError, match="depends on the batch composition"):
        hessian_penalty(BNG(), torch.randn(6, 3), batched=True)


def test_batchnorm_in_eval_mode_is_batched():
    G = BNG().eval()
    G.batch_sizes.clear()
    hessian_penalty(G, torch.randn(6, 3), check_determinism="never")
    assert G.batch_sizes == [6 * 5]


# ----------------------------------------------------------------------------- named layers
class Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(8)
        self.block1 = nn.Sequential(nn.Linear(3, 8), nn.Tanh())
        self.block2 = nn.Sequential(nn.Linear(8, 8), nn.Tanh())
        self.head = nn.Linear(8, 4)
        self.head_calls = 0

    def forward(self, z):
        h1 = self.block1(z)
        h2 = self.block2(h1)
        self.head_calls += 1
        return self.head(h2)


def test_named_layers_stop_after_the_deepest_and_match_manual_activations():
    G = Blocks()
    tap = capture(G, ["block1", "block2"])
    z = torch.randn(5, 3)
    v = rademacher((2, 5, 3))
    layers = hessian_penalty(tap, z, directions=v, return_separately=True, check_determinism="never")
    assert G.head_calls == 0  # the perturbed passes never ran the head
    manual = hessian_penalty(lambda x: [G.block1(x), G.block2(G.block1(x))], z, directions=v,
                             return_separately=True, check_determinism="never")
    for a, b in zip(layers, manual):
        torch.testing.assert_close(a, b)


def test_output_layer_runs_the_whole_forward():
    G = Blocks()
    out = capture(G, ["block1", "output"])(torch.randn(2, 3))
    assert G.head_calls == 1 and len(out) == 2 and out[1].shape == (2, 4)


def test_unknown_layer_name_suggests_close_names():
    with pytest.raises(ValueError, match=r"no module named 'blok2'.*Did you mean \['block2'"):
        capture(Blocks(), ["blok2"])


def test_batchnorm_generator_in_training_mode_backpropagates_the_adversarial_pass_after_the_penalty():
    """The penalty's passes restore BatchNorm's running statistics without bumping their version: the
    adversarial pass's graph saved them, and its backward must still run."""
    from hjgan_plugin import attach

    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 4)).train()
    session = attach(G, None, penalty="joint", lambda_h=1.0, lambda_j=1.0)
    z = torch.randn(8, 3)
    fake = G(z)
    stats = G[1].running_mean.clone(), G[1].running_var.clone()
    loss = fake.square().mean() + session.generator_penalty(z, G_z=fake)
    loss.backward()  # "modified by an inplace operation" if the restore bumped the version counters
    assert all(p.grad is not None for p in G.parameters())
    torch.testing.assert_close(G[1].running_mean, stats[0])
    torch.testing.assert_close(G[1].running_var, stats[1])
