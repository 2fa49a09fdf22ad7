"""Players belong to the shard of their platform: the condition that selects a shard's.

Platform jobs select their players with ``ON_PLATFORMS`` and two parameters,
``platforms_param(platforms)`` and the default platform (for players whose platform is not
known yet).
"""

from __future__ import annotations

from collections.abc import Sequence

# True for a player on one of the given platforms (a list; NULL: every platform).
ON_PLATFORMS = "coalesce(list_contains(?::VARCHAR[], coalesce(platform, ?)), true)"
# The same for a query with named parameters ($platforms, $platform) over players aliased p.
ON_PLATFORMS_NAMED = (
    "coalesce(list_contains($platforms::VARCHAR[], coalesce(p.platform, $platform)), true)"
)


def platforms_param(platforms: Sequence[str] | None) -> list[str] | None:
    """The first parameter of ``ON_PLATFORMS``."""
    return None if platforms is None else list(platforms)
