"""Which generator parameter feeds which discriminator parameter (docs/design.md §4, "Pairing") [ours].

The paper says G's parameters are passed to D; *which* parameters, and through which map, is our
reconstruction. A G layer mapping ``a -> b`` pairs with a D layer mapping ``b -> a`` and D receives the
linear-algebra adjoint of G's weight:

======================  ======================  ==============  =====================================
G layer                 D layer                 adjoint kind    D.weight from G.weight
======================  ======================  ==============  =====================================
``Linear(a->b)``        ``Linear(b->a)``        transpose       ``W.T``  (``(b, a) -> (a, b)``)
``ConvTransposeNd``     ``ConvNd(b->a)``        identity        ``W``    (both ``(a, b, *k)``)
``ConvNd(a->b)``        ``ConvNd(b->a)``        conv_adjoint    ``W.transpose(0, 1).flip(spatial)``
======================  ======================  ==============  =====================================

Every function here is pure: it reads modules and shapes and returns names, never touches a weight.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence, Union

import torch
from torch import nn

from ..layers import unwrap

__all__ = [
    "ADJOINT_KINDS",
    "ParamPair",
    "PairingReport",
    "PairingSpec",
    "adjoint",
    "adjoint_inverse",
    "adjoint_shape",
    "mirror_pairs",
    "resolve_pairs",
    "unwrap",
]

ADJOINT_KINDS = ("transpose", "identity", "conv_adjoint")

#: Layer types whose weights the mirror walk considers.
WEIGHT_LAYER_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)

PairLike = Union["ParamPair", tuple]
#: What ``pairing=`` accepts: ``"mirror"``, explicit pairs, or a function ``(G, D) -> pairs``.
PairingSpec = Union[str, Sequence[PairLike], Callable[[nn.Module, nn.Module], Iterable[PairLike]]]


@dataclass(frozen=True)
class ParamPair:
    """One exchanged tensor: ``D[d_name] <- rule(D[d_name], adjoint(G[g_name], adjoint))`` [ours]."""

    g_name: str
    d_name: str
    adjoint: str


# --------------------------------------------------------------------------------------------- adjoints
def _spatial_dims(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(range(2, tensor.dim()))


def adjoint(tensor: torch.Tensor, kind: str) -> torch.Tensor:
    """Map a G weight into the paired D weight's layout (docs/design.md §4 pairing, [ours]).

    ``transpose``: ``W.T`` (Linear). ``identity``: ``W`` (ConvTranspose in G, Conv in D: same layout).
    ``conv_adjoint``: ``W.transpose(0, 1).flip(spatial)``: for a ``ConvNd(a->b)`` weight ``(b, a, *k)``
    this is the ``ConvNd(b->a)`` weight ``(a, b, *k)`` of the adjoint operator (stride 1; padding
    ``k-1-p`` on the D side). Returns a new tensor or a view; the input is never modified.
    """
    # docs/design.md §4 pairing: adj(θ_G) [ours]
    if kind == "transpose":
        if tensor.dim() != 2:
            raise ValueError(f"adjoint 'transpose' needs a 2-D (Linear) weight, got shape {tuple(tensor.shape)}")
        return tensor.t()
    if kind == "identity":
        return tensor
    if kind == "conv_adjoint":
        if tensor.dim() < 3:
            raise ValueError(f"adjoint 'conv_adjoint' needs a conv weight (>= 3-D), got shape {tuple(tensor.shape)}")
        return tensor.transpose(0, 1).flip(_spatial_dims(tensor))
    raise ValueError(f"unknown adjoint kind {kind!r}; valid kinds: {list(ADJOINT_KINDS)}")


def adjoint_inverse(tensor: torch.Tensor, kind: str) -> torch.Tensor:
    """Inverse of :func:`adjoint`: map a D weight back into G's layout (used for the D->G direction).

    All three maps are involutions (and norm-preserving), so this is :func:`adjoint` again; it is kept
    as its own name so that the D->G code reads as what it does.
    """
    # docs/design.md §4 direction "both": adj⁻¹(θ_D) [ours]
    return adjoint(tensor, kind)


def adjoint_shape(shape: Sequence[int], kind: str) -> tuple[int, ...]:
    """Shape of ``adjoint(t, kind)`` for ``t`` of ``shape``, without a tensor (``None``-free)."""
    shape = tuple(int(s) for s in shape)
    if kind == "transpose":
        return shape[::-1] if len(shape) == 2 else ()
    if kind == "identity":
        return shape
    if kind == "conv_adjoint":
        return (shape[1], shape[0], *shape[2:]) if len(shape) >= 3 else ()
    raise ValueError(f"unknown adjoint kind {kind!r}; valid kinds: {list(ADJOINT_KINDS)}")


# ------------------------------------------------------------------------------------------ module walk
def _layer_signature(module: nn.Module) -> tuple[str, int]:
    """``("linear", 0)``, ``("conv", n)`` or ``("conv_t", n)`` for the supported layer types."""
    if isinstance(module, nn.Linear):
        return "linear", 0
    if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d)):
        return "conv_t", 1 if isinstance(module, nn.ConvTranspose1d) else 2
    return "conv", 1 if isinstance(module, nn.Conv1d) else 2


def _adjoint_kind_for(g_module: nn.Module, d_module: nn.Module) -> tuple[str | None, str]:
    """Adjoint kind from the two layer types (table in the module docstring), or ``(None, reason)``."""
    g_kind, g_n = _layer_signature(g_module)
    d_kind, d_n = _layer_signature(d_module)
    if g_kind == "linear" and d_kind == "linear":
        return "transpose", ""
    if g_n == d_n and g_kind == "conv_t" and d_kind == "conv":
        return "identity", ""
    if g_n == d_n and g_kind == "conv" and d_kind == "conv":
        return "conv_adjoint", ""
    return None, (f"no adjoint rule for G {type(g_module).__name__} -> D {type(d_module).__name__} "
                  "(pass explicit pairs with an adjoint kind)")


def _weight_param_local_name(module: nn.Module) -> str | None:
    """The parameter holding the layer's weight, relative to the layer, or ``None``.

    Plain ``weight``; ``weight_orig`` under the old ``spectral_norm`` (its hook recomputes ``weight``);
    ``parametrizations.weight.original`` under ``torch.nn.utils.parametrizations.spectral_norm``.
    ``weight_norm``'s ``weight_g``/``weight_v`` have no single tensor to write: ``None``.
    """
    params = module._parameters
    weight = params.get("weight")
    if isinstance(weight, nn.Parameter):
        return "weight"
    if isinstance(params.get("weight_orig"), nn.Parameter) and params["weight_orig"].dim() >= 2:
        return "weight_orig"
    plist = getattr(getattr(module, "parametrizations", None), "weight", None)
    original = getattr(plist, "original", None) if plist is not None else None
    if isinstance(original, nn.Parameter) and original.shape == module.weight.shape:
        return "parametrizations.weight.original"
    return None


@dataclass(frozen=True)
class _Layer:
    module_name: str
    module: nn.Module
    param_name: str | None  # full name as in named_parameters(), None when not writable
    shape: tuple[int, ...]

    def describe(self) -> str:
        name = self.param_name or f"{self.module_name or '<root>'}.weight (not a plain parameter)"
        return f"{name} {type(self.module).__name__}{self.shape}"


def _weight_layers(model: nn.Module) -> list[_Layer]:
    """Weight-bearing layers in registration order (``named_modules()``), with their weight parameter."""
    layers = []
    for name, module in model.named_modules():
        if not isinstance(module, WEIGHT_LAYER_TYPES):
            continue
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() < 2:
            continue
        local = _weight_param_local_name(module)
        full = None if local is None else (f"{name}.{local}" if name else local)
        layers.append(_Layer(name, module, full, tuple(weight.shape)))
    return layers


def _mirror(G: nn.Module, D: nn.Module) -> tuple[list[ParamPair], list[tuple[str | None, str | None, str]],
                                                  list[_Layer], list[_Layer]]:
    """Mirror walk: G from the output end, D from the input end, zipped by position (docs/design.md §4) [ours]."""
    g_layers = list(reversed(_weight_layers(G)))
    d_layers = _weight_layers(D)
    pairs: list[ParamPair] = []
    skipped: list[tuple[str | None, str | None, str]] = []
    for i in range(max(len(g_layers), len(d_layers))):
        g = g_layers[i] if i < len(g_layers) else None
        d = d_layers[i] if i < len(d_layers) else None
        if g is None or d is None:
            present = g or d
            who = "G" if d is None else "D"
            skipped.append((g.param_name if g else None, d.param_name if d else None,
                            f"mirror position {i}: {who} layer {present.describe()} has no counterpart"))
            continue
        if g.param_name is None or d.param_name is None:
            bad = g if g.param_name is None else d
            skipped.append((g.param_name, d.param_name,
                            f"mirror position {i}: {bad.describe()}: no single weight parameter to exchange"))
            continue
        kind, reason = _adjoint_kind_for(g.module, d.module)
        if kind is None:
            skipped.append((g.param_name, d.param_name, f"mirror position {i}: {reason}"))
            continue
        adj = adjoint_shape(g.shape, kind)
        if adj != d.shape:
            skipped.append((g.param_name, d.param_name,
                            f"mirror position {i}: shape mismatch: {kind} of G {g.shape} is {adj}, D has {d.shape}"))
            continue
        pairs.append(ParamPair(g.param_name, d.param_name, kind))
    return pairs, skipped, g_layers, d_layers


def mirror_pairs(G: nn.Module, D: nn.Module) -> list[ParamPair]:
    """Mirror pairing (docs/design.md §4, [ours]): G's weight layers from the output end against D's from the input.

    Considers ``Linear``, ``Conv1d/2d`` and ``ConvTranspose1d/2d`` with a weight of dim >= 2. Position
    ``i`` pairs only if the adjoint of G's weight has exactly D's weight shape; biases, norms and
    unpaired layers are skipped (see :func:`resolve_pairs` for the reasons).
    """
    return _mirror(unwrap(G), unwrap(D))[0]


# ----------------------------------------------------------------------------------------------- report
@dataclass
class PairingReport:
    """What the exchange will touch: pairs, how many D parameters they cover, and what was skipped."""

    pairs: list[ParamPair]
    n_params_paired: int
    n_params_D: int
    skipped: list[tuple[str | None, str | None, str]] = field(default_factory=list)
    source: str = "mirror"

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    @property
    def fraction_paired(self) -> float:
        """Fraction of D's parameters (numel) that the exchange writes."""
        return self.n_params_paired / self.n_params_D if self.n_params_D else 0.0

    def __str__(self) -> str:
        head = (f"weight exchange pairing ({self.source}): {self.n_pairs} pair(s), "
                f"{self.n_params_paired:,} of {self.n_params_D:,} D parameters paired "
                f"({100 * self.fraction_paired:.1f}%)")
        rows = [("G parameter", "adjoint", "D parameter")] + [(p.g_name, p.adjoint, p.d_name) for p in self.pairs]
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        lines = [head] + ["  " + "  ".join(r[c].ljust(widths[c]) for c in range(3)).rstrip() for r in rows]
        if self.skipped:
            lines.append("skipped:")
            for g, d, reason in self.skipped:
                lines.append(f"  G {g or '-'} / D {d or '-'}: {reason}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- resolve
def _close(name: str, names: Iterable[str]) -> str:
    matches = difflib.get_close_matches(name, list(names), n=5, cutoff=0.5)
    return f"; close matches: {matches}" if matches else ""


def _infer_kind(g_name: str, d_name: str, g_shape: tuple[int, ...], d_shape: tuple[int, ...],
                g_owner: dict[str, nn.Module], d_owner: dict[str, nn.Module]) -> str:
    """Adjoint kind for an explicit pair given without one.

    The layer types decide when both names are layer weights with a rule (so a square ``Linear`` pair is
    ``transpose``, not ``identity``); otherwise shapes: ``identity`` if equal, ``transpose`` if 2-D and
    transposed, else an error.
    """
    if g_name in g_owner and d_name in d_owner:
        kind, _ = _adjoint_kind_for(g_owner[g_name], d_owner[d_name])
        if kind is not None and adjoint_shape(g_shape, kind) == d_shape:
            return kind
    if g_shape == d_shape:
        return "identity"
    if len(g_shape) == 2 and g_shape[::-1] == d_shape:
        return "transpose"
    raise ValueError(f"cannot infer the adjoint for G {g_name!r} {g_shape} -> D {d_name!r} {d_shape}: shapes "
                     f"are neither equal nor 2-D transposes; pass ({g_name!r}, {d_name!r}, kind) with kind in "
                     f"{list(ADJOINT_KINDS)}")


def _as_triple(item: PairLike) -> tuple[str, str, str | None]:
    if isinstance(item, ParamPair):
        return item.g_name, item.d_name, item.adjoint
    if isinstance(item, (tuple, list)) and len(item) in (2, 3) and all(isinstance(s, str) for s in item):
        return (item[0], item[1], item[2] if len(item) == 3 else None)
    raise TypeError(f"a pair must be ParamPair, (g_param_name, d_param_name) or (g_name, d_name, adjoint_kind) "
                    f"with strings, got {item!r}")


def _validate(items: Iterable[PairLike], G: nn.Module, D: nn.Module) -> list[ParamPair]:
    g_params = dict(G.named_parameters())
    d_params = dict(D.named_parameters())
    g_owner = {l.param_name: l.module for l in _weight_layers(G) if l.param_name}
    d_owner = {l.param_name: l.module for l in _weight_layers(D) if l.param_name}
    pairs: list[ParamPair] = []
    seen_d: set[str] = set()
    for item in items:
        g_name, d_name, kind = _as_triple(item)
        if g_name not in g_params:
            raise ValueError(f"generator has no parameter {g_name!r}{_close(g_name, g_params)}")
        if d_name not in d_params:
            raise ValueError(f"discriminator has no parameter {d_name!r}{_close(d_name, d_params)}")
        g_shape, d_shape = tuple(g_params[g_name].shape), tuple(d_params[d_name].shape)
        if kind is None:
            kind = _infer_kind(g_name, d_name, g_shape, d_shape, g_owner, d_owner)
        elif kind not in ADJOINT_KINDS:
            raise ValueError(f"unknown adjoint kind {kind!r} for pair ({g_name!r}, {d_name!r}); "
                             f"valid kinds: {list(ADJOINT_KINDS)}")
        if adjoint_shape(g_shape, kind) != d_shape:
            raise ValueError(f"pair ({g_name!r}, {d_name!r}): {kind} of G shape {g_shape} is "
                             f"{adjoint_shape(g_shape, kind) or 'undefined'}, but D shape is {d_shape}")
        if d_name in seen_d:
            raise ValueError(f"discriminator parameter {d_name!r} appears in more than one pair; each D tensor "
                             "can receive one G tensor")
        seen_d.add(d_name)
        pairs.append(ParamPair(g_name, d_name, kind))
    return pairs


def resolve_pairs(G: nn.Module, D: nn.Module, pairing: PairingSpec = "mirror") -> PairingReport:
    """Resolve ``pairing`` into validated pairs and a :class:`PairingReport` (docs/design.md §4, [ours]).

    ``pairing`` is ``"mirror"`` (:func:`mirror_pairs`), a list of ``(g_param_name, d_param_name)`` or
    ``(g_name, d_name, adjoint_kind)`` tuples / :class:`ParamPair`, or a callable ``(G, D) -> such a list``
    (an adapter's job for StyleGAN2-ADA and ProGAN). DDP/DataParallel wrappers are removed first, so
    names are those of the bare modules. Raises ``ValueError`` for unknown names (with close matches),
    incompatible shapes (with both shapes), or when nothing pairs.
    """
    G, D = unwrap(G), unwrap(D)
    skipped: list[tuple[str | None, str | None, str]] = []
    if isinstance(pairing, str):
        if pairing != "mirror":
            raise ValueError(f"unknown pairing {pairing!r}: use 'mirror', a list of (g_param_name, d_param_name) "
                             "pairs, or a function (G, D) -> pairs (adapters provide named pairings)")
        pairs, skipped, g_layers, d_layers = _mirror(G, D)
        if not pairs:
            g_list = ", ".join(l.describe() for l in g_layers) or "none"
            d_list = ", ".join(l.describe() for l in d_layers) or "none"
            raise ValueError(
                "weight exchange has nothing to exchange: pass explicit pairs=[('g.layer.weight', "
                "'d.layer.weight')] or a pairing function; mirror pairing found no shape-compatible layers: "
                f"G layers (output end first): {g_list}; D layers (input end first): {d_list}")
        source = "mirror"
    elif callable(pairing):
        pairs = _validate(list(pairing(G, D)), G, D)
        source = f"function {getattr(pairing, '__name__', type(pairing).__name__)}"
    else:
        pairs = _validate(list(pairing), G, D)
        source = "explicit"
    if not pairs:
        raise ValueError(f"weight exchange has nothing to exchange: the {source} pairing returned no pairs; pass "
                         "explicit pairs=[('g.layer.weight', 'd.layer.weight')] or use pairing='mirror'")
    d_params = dict(D.named_parameters())
    n_paired = sum(d_params[p.d_name].numel() for p in pairs)
    n_total = sum(p.numel() for p in D.parameters())
    return PairingReport(pairs=pairs, n_params_paired=n_paired, n_params_D=n_total, skipped=skipped, source=source)
