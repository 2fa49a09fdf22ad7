"""Words that agree with a number, for every message and page the product writes.

counted(n, one, many)     "1 player matches", "2 players match"
"""

from __future__ import annotations


def counted(n: int, one: str, many: str) -> str:
    """``n`` with the words that agree with it: ``one`` for 1, ``many`` otherwise."""
    return f"{n} {one if n == 1 else many}"
