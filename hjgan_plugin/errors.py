"""Exceptions and warnings raised by hjgan_plugin."""


class NondeterministicGeneratorError(RuntimeError):
    """G's output changed between two identical calls, so finite differences would measure noise."""


class NonFiniteWarning(RuntimeWarning):
    """Something came out NaN/inf and was left out, so no NaN reached the weights."""


class NonFinitePenaltyWarning(NonFiniteWarning):
    """A generator-loss term was NaN/inf; it was left out of that step (and reads NaN in the report)."""


class NonFiniteExchangeWarning(NonFiniteWarning):
    """A weight exchange would have written NaN/inf; nothing was written at that exchange."""


class LowPrecisionWarning(UserWarning):
    """G's activations are float16/bfloat16: second differences lose digits to rounding."""


class StepSizeWarning(UserWarning):
    """The finite-difference step is too small for the latent's dtype: the differences read 0 or rounding."""


class TradeOffWarning(UserWarning):
    """The adapter's host has been measured with ``--hj`` at its default settings, and it did not pay there:
    the message says what the measurement found (quality, cost), so a user weighs it before a long run."""
