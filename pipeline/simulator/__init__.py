"""A Riot API simulator: a synthetic world of players served over HTTP like Riot's API.

Public surface::

    SimulatorConfig          what world to build and how the server behaves
    WorldAssumptions         the story a world tells (populations, noise, matchmaking)
    FAMILIES, family(name)   named stories: fit on some, judge on the others
    build_world(config)      the world of a seed (deterministic)
    create_app(config)       the ASGI app
    serve_in_thread(config)  serve on loopback for a ``with`` block -> RunningSimulator
    export_world(config, db) write the world straight into a database, with ground truth
"""

from pipeline.simulator.app import create_app
from pipeline.simulator.assumptions import (
    FAMILIES,
    HELD_OUT_FAMILIES,
    SMURF_KINDS,
    TRAINING_FAMILIES,
    TRAPS,
    Population,
    WorldAssumptions,
    family,
)
from pipeline.simulator.config import SimulatorConfig
from pipeline.simulator.errors import SimulatorConfigError, SimulatorError
from pipeline.simulator.export import ExportReport, export_world
from pipeline.simulator.server import RunningSimulator, serve_in_thread
from pipeline.simulator.world import World, build_world

__all__ = [
    "FAMILIES",
    "HELD_OUT_FAMILIES",
    "SMURF_KINDS",
    "TRAINING_FAMILIES",
    "TRAPS",
    "ExportReport",
    "Population",
    "RunningSimulator",
    "SimulatorConfig",
    "SimulatorConfigError",
    "SimulatorError",
    "World",
    "WorldAssumptions",
    "build_world",
    "create_app",
    "export_world",
    "family",
    "serve_in_thread",
]
