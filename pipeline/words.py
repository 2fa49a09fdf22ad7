"""Words that agree with a number, for every message and page the product writes.

counted(n, one, many)     "1 player matches", "1,135 players match"
number(x)                 "1,000,000", "0.05": a bound as a message writes it
"""

from __future__ import annotations


def counted(n: int, one: str, many: str) -> str:
    """``n`` with thousands separators and the words that agree with it: ``one`` for 1,
    ``many`` otherwise ("Stored 1,135 matches")."""
    return f"{n:,} {one if n == 1 else many}"


def number(value: float) -> str:
    """``value`` as a message writes it: a whole number in full with thousands separators
    ("1,000,000", never "1e+06"), else in its shortest form ("0.05", "1,234.5")."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,g}"
