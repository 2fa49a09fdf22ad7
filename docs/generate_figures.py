"""Regenerate the figures the README shows: `.venv/bin/python docs/generate_figures.py`.

Exports a simulated world, scores every player with the product's model and saves the
report notebook's score-by-tier figure, so the picture is what the product really draws.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pipeline.analysis import score_players, write_scores
from pipeline.explorer.plots import score_distribution_figure
from pipeline.explorer.scores import latest_scores
from pipeline.simulator import SimulatorConfig
from pipeline.simulator.export import export_world
from pipeline.store import read, write

OUT = Path(__file__).resolve().parent / "score-by-tier.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "figures.duckdb"
        export_world(SimulatorConfig(seed=2024, players=5000), db)
        with write(db) as con:
            write_scores(con, score_players(con), datetime.now(UTC))
        with read(db) as con:
            scores = latest_scores(con, min_games=5)
        score_distribution_figure(scores).savefig(OUT, dpi=90)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
