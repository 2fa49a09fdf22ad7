"""Raw match payloads: compressed for storage, loaded back as the API sent them.

The writers keep each match's raw JSON in ``match_payloads`` so features can be recomputed
from the source. New rows hold it zstd-compressed in ``payload_zstd`` (level 3: ~7x smaller
for ~0.1 ms a match); rows from before that hold plain ``raw_json``.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import zstandard

COMPRESSION_LEVEL = 3


def compress_payload(text: str | bytes) -> bytes:
    """The stored form of a payload's JSON (as the API sent it: bytes, or text)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    # A compressor object is not safe to share between threads; one per call is cheap.
    return zstandard.ZstdCompressor(level=COMPRESSION_LEVEL).compress(data)


def decompress_payload(blob: bytes) -> str:
    """A payload's JSON text from its stored form."""
    return zstandard.ZstdDecompressor().decompress(blob).decode("utf-8")


def load_match_payload(con: duckdb.DuckDBPyConnection, match_id: str) -> dict[str, Any] | None:
    """The raw match-v5 payload stored for ``match_id``, or None when none was kept."""
    row = con.execute(
        "SELECT payload_zstd, raw_json FROM match_payloads WHERE match_id = ? LIMIT 1",
        [match_id],
    ).fetchone()
    if row is None:
        return None
    blob, text = row
    if blob is not None:
        text = decompress_payload(bytes(blob))
    return json.loads(text) if text is not None else None
