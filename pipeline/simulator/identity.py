"""Player identities: PUUIDs, encrypted summoner ids and unique Riot IDs."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

PUUID_LENGTH = 78
SUMMONER_ID_LENGTH = 56
_URLSAFE = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
_TAG_CHARS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
_SYLLABLES = np.array(
    [
        "ka",
        "ri",
        "zu",
        "mo",
        "ne",
        "ta",
        "shi",
        "ro",
        "vel",
        "an",
        "dor",
        "ix",
        "ly",
        "fa",
        "ze",
        "qu",
        "om",
        "bra",
        "kin",
        "sol",
        "lu",
        "ne",
        "ar",
        "gon",
        "mi",
        "ra",
        "ko",
        "tes",
        "vo",
        "ha",
        "ju",
        "pi",
        "sen",
        "dra",
        "rek",
        "ul",
        "thi",
        "mar",
        "cy",
        "bo",
        "ga",
        "nox",
        "e",
        "o",
        "a",
    ]
)
_WORDS = np.array(
    [
        "Shadow",
        "Storm",
        "Frost",
        "Blade",
        "Wolf",
        "Raven",
        "Ember",
        "Lotus",
        "Viper",
        "Echo",
        "Nova",
        "Drift",
        "Rune",
        "Ghost",
        "Tiger",
        "Moon",
        "Sky",
        "Iron",
        "Jade",
        "Pixel",
        "Chaos",
        "Zen",
        "Lucky",
        "Toxic",
        "Silent",
        "Crimson",
        "Void",
        "Golden",
    ]
)


def random_tokens(rng: np.random.Generator, count: int, length: int) -> npt.NDArray[np.str_]:
    """``count`` random URL-safe strings of ``length`` characters (PUUID-like)."""
    letters = _URLSAFE[rng.integers(0, len(_URLSAFE), size=(count, length))]
    return letters.view(f"<U{length}").ravel()


def random_game_names(rng: np.random.Generator, count: int) -> npt.NDArray[np.str_]:
    """Plausible Riot ID game names: a word with syllables, or syllables with a number."""
    first = _SYLLABLES[rng.integers(0, len(_SYLLABLES), size=count)]
    second = _SYLLABLES[rng.integers(0, len(_SYLLABLES), size=count)]
    word = _WORDS[rng.integers(0, len(_WORDS), size=count)]
    number = rng.integers(1, 999, size=count).astype(str)
    styles = rng.integers(0, 3, size=count)
    syllables = np.char.capitalize(np.char.add(first, second))
    return np.select(
        [styles == 0, styles == 1],
        [np.char.add(word, syllables), np.char.add(syllables, number)],
        default=np.char.add(np.char.add(syllables, " "), word),
    )


def random_tag_lines(rng: np.random.Generator, count: int, platform: str) -> npt.NDArray[np.str_]:
    """Tag lines of 3-5 characters; about a third use the platform's default tag."""
    length = 4
    letters = _TAG_CHARS[rng.integers(0, len(_TAG_CHARS), size=(count, length))]
    tags = letters.view(f"<U{length}").ravel()
    default_tag = platform.upper().rstrip("0123456789")[:5] or "NA1"
    return np.where(rng.random(count) < 0.33, default_tag, tags)


def unique_riot_ids(
    rng: np.random.Generator,
    names: npt.NDArray[np.str_],
    tags: npt.NDArray[np.str_],
    taken: set[str] | None = None,
) -> npt.NDArray[np.str_]:
    """Tags changed where needed so every name#tag is unique ignoring case (as Riot's are)."""
    tags = tags.copy()
    seen = set(taken or ())
    for index in range(len(names)):
        key = f"{names[index]}#{tags[index]}".lower()
        while key in seen:
            tags[index] = "".join(rng.choice(_TAG_CHARS, size=5))
            key = f"{names[index]}#{tags[index]}".lower()
        seen.add(key)
    return tags


def riot_id_key(game_name: str, tag_line: str) -> str:
    """The case-insensitive lookup key of a Riot ID."""
    return f"{game_name}#{tag_line}".casefold()
