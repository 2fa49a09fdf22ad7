"""Smurf Workbench: find smurfs and boosted accounts in League of Legends match data."""

__version__ = "0.1.0"
