"""Weight exchange between generator and discriminator [ours: the rule] (docs/design.md §4; paper Appendix A.2).

- :mod:`.pairing`: which G parameter feeds which D parameter, through which adjoint map;
- :mod:`.rules`: the update rules (variants); plugins add rules per plugin manager;
- :mod:`.weight_exchange`: :class:`WeightExchange`, the schedule, counters and checkpoint state.
"""
from .pairing import (
    ADJOINT_KINDS,
    PairingReport,
    PairingSpec,
    ParamPair,
    adjoint,
    adjoint_inverse,
    adjoint_shape,
    mirror_pairs,
    resolve_pairs,
    unwrap,
)
from .rules import (
    BUILTIN_RULES,
    ExchangeRule,
    blend,
    blend_norm,
    check_coefficients,
    get_rule,
    make_rule,
    random_control,
    random_fixed,
    tensor_norm,
)
from .weight_exchange import WeightExchange

__all__ = [
    "ADJOINT_KINDS",
    "BUILTIN_RULES",
    "ExchangeRule",
    "PairingReport",
    "PairingSpec",
    "ParamPair",
    "WeightExchange",
    "adjoint",
    "adjoint_inverse",
    "adjoint_shape",
    "blend",
    "blend_norm",
    "check_coefficients",
    "get_rule",
    "make_rule",
    "mirror_pairs",
    "random_control",
    "random_fixed",
    "resolve_pairs",
    "tensor_norm",
    "unwrap",
]
