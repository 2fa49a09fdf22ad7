"""Errors the simulator raises on purpose.

::

    SmurfError                          pipeline.errors
    └── SimulatorError
        └── SimulatorConfigError        a simulator option has an unusable value
"""

from __future__ import annotations

from pipeline.errors import SmurfError


class SimulatorError(SmurfError):
    """Base class of the simulator's deliberate errors."""


class SimulatorConfigError(SimulatorError):
    """A simulator option has a value the simulator cannot use."""
