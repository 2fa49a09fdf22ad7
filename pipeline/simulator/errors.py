"""Errors the simulator raises on purpose.

::

    SmurfError                          pipeline.errors
    └── SimulatorError
        ├── SimulatorConfigError        a simulator option has an unusable value
        └── AnotherWorldError           an export's database holds players of another world
"""

from __future__ import annotations

from pipeline.errors import SmurfError


class SimulatorError(SmurfError):
    """Base class of the simulator's deliberate errors."""


class SimulatorConfigError(SimulatorError):
    """A simulator option has a value the simulator cannot use."""


class AnotherWorldError(SimulatorError):
    """An export's database already holds players the world being exported does not have
    (another seed, size or family, a crawl of another world, real data): writing would mix
    two worlds and leave the ground truth of only one."""

    def __init__(self, location: object, foreign: int, *, replaceable: bool = True) -> None:
        instead = (
            "Give --db a new file, or add --replace to delete it."
            if replaceable
            else "Give --db a new file or another lake (a lake is not replaced)."
        )
        super().__init__(
            f"{location} already holds {foreign:,} players that are not this world's (another "
            "seed, --players or --family, or a crawl): an export would mix the two worlds and "
            f"keep one's ground truth. {instead}"
        )
        self.foreign = foreign
