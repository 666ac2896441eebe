"""Pure functions on direction matrices (docs/design.md §12): orthonormal rows, latent subspaces, and the
comparison of a discovered basis with a known one."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def orthonormalize(A: Tensor) -> Tensor:
    """The rows of ``A`` (K, d), K <= d, made orthonormal in order: Gram–Schmidt, computed as the QR
    decomposition of ``Aᵀ`` with the signs fixed so that ``diag(R) > 0`` (then row i of the result is
    exactly Gram–Schmidt's i-th vector, as the Hessian Penalty's discovery code computes it).
    Differentiable; rank-deficient rows are an error."""
    if A.ndim != 2:
        raise ValueError(f"directions must be a (K, d) matrix, got shape {tuple(A.shape)}")
    K, d = A.shape
    if K > d:
        raise ValueError(f"{K} directions cannot be orthonormal in {d} dimensions (K must be <= d)")
    Q, R = torch.linalg.qr(A.T, mode="reduced")  # A.T = Q R, Q (d, K)
    diag = torch.diagonal(R)
    if bool((diag.abs() <= 1e-6 * A.norm().clamp_min(1e-30)).any()):
        raise ValueError("the direction matrix is rank deficient: some rows are linear combinations of others")
    return (Q * torch.sign(diag)).T


def embed(Q: Tensor, subspace: Sequence[int] | None, latent_dim: int) -> Tensor:
    """Directions ``Q`` (K, s) over the latent ``subspace`` (s indices) as (K, latent_dim) rows, zero outside
    it (the discovery code's padding, for any set of indices). ``subspace=None``: Q is already full."""
    if subspace is None:
        return Q
    full = Q.new_zeros(Q.shape[0], latent_dim)
    full[:, list(subspace)] = Q
    return full


def check_subspace(subspace: Sequence[int] | None, latent_dim: int) -> list[int] | None:
    """The indices, checked: unique, in ``[0, latent_dim)``; ``None`` is the whole latent."""
    if subspace is None:
        return None
    indices = [int(i) for i in subspace]
    if not indices:
        raise ValueError("the subspace is empty: give at least one latent index")
    bad = [i for i in indices if not 0 <= i < latent_dim]
    if bad:
        raise ValueError(f"subspace indices {bad} are outside the latent's 0..{latent_dim - 1}")
    if len(set(indices)) != len(indices):
        raise ValueError(f"subspace indices repeat: {indices}")
    return indices


def random_directions(num_directions: int, latent_dim: int, seed: int = 0) -> Tensor:
    """Random orthonormal rows (K, d): Gaussian, then :func:`orthonormalize` (uniform on the Stiefel manifold)."""
    gen = torch.Generator().manual_seed(seed)
    return orthonormalize(torch.randn(num_directions, latent_dim, generator=gen))


def matched_cosines(found: Tensor, true: Tensor) -> Tensor:
    """``|cos|`` between each true direction and the found direction matched to it, one found direction per
    true one, the matching maximizing the total (the Hungarian algorithm, scipy). Rows are normalized first;
    signs do not count (a direction and its opposite are the same edit). Returns (K_true,)."""
    from scipy.optimize import linear_sum_assignment

    if found.ndim != 2 or true.ndim != 2 or found.shape[1] != true.shape[1]:
        raise ValueError(f"found and true must be (K, d) with the same d, got {tuple(found.shape)} and "
                         f"{tuple(true.shape)}")
    if found.shape[0] < true.shape[0]:
        raise ValueError(f"{found.shape[0]} found directions cannot match {true.shape[0]} true ones")
    f = found.double() / found.double().norm(dim=1, keepdim=True)
    t = true.double() / true.double().norm(dim=1, keepdim=True)
    cos = (t @ f.T).abs()
    rows, cols = linear_sum_assignment(cos.numpy(), maximize=True)
    return cos[rows, cols].float()


__all__ = ["check_subspace", "embed", "matched_cosines", "orthonormalize", "random_directions"]
