"""hjgan_plugin: joint Hessian-Jacobian disentanglement penalty and Eagle-Dove weight exchange.

Public API::

    from hjgan_plugin import hessian_penalty, jacobian_penalty, joint_penalty   # estimators (docs/design.md §1)
    from hjgan_plugin import EagleDove                                          # alpha, beta (docs/design.md §3)
    from hjgan_plugin import attach, HJConfig                                   # any training loop
    from hjgan_plugin import hookimpl, PluginContext                            # plugins (docs/design.md §6)
    from hjgan_plugin import discover_directions, Directions                    # frozen G (docs/design.md §12)
"""
from .config import HJConfig
from .directions import rademacher
from .discovery import Directions, discover_directions
from .context import PluginContext
from .errors import (LowPrecisionWarning, NondeterministicGeneratorError, NonFiniteExchangeWarning,
                     NonFinitePenaltyWarning, NonFiniteWarning)
from .estimators import JointPenalty, hessian_penalty, jacobian_penalty, joint_penalty, orojar
from .game import EagleDove
from .hookspecs import hookimpl
from .layers import capture
from .session import Session, attach

__version__ = "0.1.0"

__all__ = [
    "Directions",
    "EagleDove",
    "HJConfig",
    "JointPenalty",
    "LowPrecisionWarning",
    "NonFiniteExchangeWarning",
    "NonFinitePenaltyWarning",
    "NonFiniteWarning",
    "NondeterministicGeneratorError",
    "PluginContext",
    "Session",
    "attach",
    "capture",
    "discover_directions",
    "hookimpl",
    "hessian_penalty",
    "jacobian_penalty",
    "joint_penalty",
    "orojar",
    "rademacher",
]
