"""Weight exchange between generator and discriminator (SPEC §4, paper Appendix A.2) [ours: the rule].

- :mod:`.pairing`: which G parameter feeds which D parameter, through which adjoint map;
- :mod:`.rules`: the update rules (variants) and their registry;
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
    EXCHANGE_RULES,
    ExchangeRule,
    blend,
    blend_norm,
    check_coefficients,
    get_rule,
    random_control,
    random_fixed,
    register_rule,
)
from .weight_exchange import WeightExchange

__all__ = [
    "ADJOINT_KINDS",
    "EXCHANGE_RULES",
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
    "mirror_pairs",
    "random_control",
    "random_fixed",
    "register_rule",
    "resolve_pairs",
    "unwrap",
]
