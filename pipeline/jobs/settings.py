"""What each job type's ``config_json`` may hold, declared as typed models with bounds.

pydantic validates a configuration against its job type's model: every setting has a type
and bounds, NaN and infinities are refused, an unknown key is named with the settings there
are, and the first problem becomes a ``JobConfigError`` of one sentence. ``smurf jobs set``
validates a change the same way before saving it. A job class declares its model as
``settings_model``; a job written from the seed's guide may validate ``config_json`` in its
own ``_load_configuration()`` instead.
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from pipeline.errors import shorten
from pipeline.jobs.errors import JobConfigError
from pipeline.words import number

DEFAULT_TIMEOUT_S = 900.0
MAX_TIMEOUT_S = 7 * 86400.0  # a week: longer is a mistake, not a run


class JobSettings(BaseModel):
    """The settings every job type has."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    timeout_seconds: float = Field(DEFAULT_TIMEOUT_S, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)


S = TypeVar("S", bound=JobSettings)


class TrackedPlayerUpdaterSettings(JobSettings):
    max_new_matches_per_player: int = Field(ge=1, le=1000)
    max_tracked_players: int = Field(ge=1, le=100_000)


class MatchFetcherSettings(JobSettings):
    discovered_players_per_run: int = Field(ge=1, le=100_000)
    matches_per_player_per_run: int = Field(ge=1, le=100)
    target_matches_per_player: int = Field(ge=1, le=10_000)
    suspects_per_run: int = Field(10, ge=0, le=100_000)
    suspect_score_percent: int = Field(30, ge=1, le=100)
    first_games_of_new_suspects: bool = True
    # A stored profile younger than this is read from the player's row, not asked for
    # again; 0 asks every time. 24: the age at which PROFILE_REFRESHER refreshes by default.
    profile_reuse_hours: int = Field(24, ge=0, le=24 * 365)
    # A run goes on past discovered_players_per_run while its requests are under this share
    # of what the key's stated rate limits allow between two runs. 0: every run stops there.
    key_share_percent: int = Field(40, ge=0, le=100)


class ProfileRefresherSettings(JobSettings):
    max_profiles_per_run: int = Field(ge=1, le=100_000)
    # A run may profile more than max_profiles_per_run: up to this share of what the key's
    # stated rate limits allow between two runs. 0 keeps every run at max_profiles_per_run.
    key_share_percent: int = Field(50, ge=0, le=100)
    refresh_after_hours: int = Field(ge=1, le=24 * 365)
    min_matches_required: int = Field(ge=1, le=10_000)


class SmurfAnalyzerSettings(JobSettings):
    unanalyzed_players_per_run: int = Field(ge=1, le=10_000_000)
    min_matches_required: int = Field(ge=1, le=10_000)


class BanCheckerSettings(JobSettings):
    ban_check_days: int = Field(ge=0, le=3650)
    unavailable_recheck_days: int = Field(14, ge=0, le=3650)
    max_checks_per_run: int = Field(ge=1, le=100_000)


class NotebookReportSettings(JobSettings):
    timeout_seconds: float = Field(1800.0, gt=0, le=MAX_TIMEOUT_S, allow_inf_nan=False)
    notebook: str = Field("01-smurf-report", min_length=1, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    output_dir: str = Field("data/reports", min_length=1, max_length=4096)
    notebooks_dir: str | None = Field(None, min_length=1, max_length=4096)
    keep_last: int = Field(30, ge=1, le=1_000_000)
    show_code: bool = False


class LakeMaintenanceSettings(JobSettings):
    rewrite_delete_threshold: float = Field(0.1, ge=0.0, le=1.0, allow_inf_nan=False)
    expire_snapshots_after_hours: float = Field(24.0, ge=0.0, le=24.0 * 365, allow_inf_nan=False)
    delete_files_after_hours: float = Field(1.0, ge=0.0, le=24.0 * 365, allow_inf_nan=False)


def load_settings(model: type[S], raw: Any, job_type: str) -> S:
    """``raw`` (a configuration's config_json) as ``model``, or a JobConfigError saying why."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise JobConfigError(
            f'config_json must be a JSON object like {{"key": value}} (got {shorten(raw)}).'
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise JobConfigError(_sentences(model, exc, job_type)) from None


def _sentences(model: type[JobSettings], exc: ValidationError, job_type: str) -> str:
    """Every problem of a validation, a sentence each naming its setting: a configuration
    with two bad keys is mended in one go, not one refusal at a time."""
    problems = exc.errors()
    unknown = [p for p in problems if p["type"] == "extra_forbidden"]
    said = [_sentence(model, p, job_type) for p in problems if p["type"] != "extra_forbidden"]
    if unknown:  # one sentence for every unknown key, the settings listed once
        keys = ", ".join(shorten(".".join(str(part) for part in p["loc"])) for p in unknown)
        said.append(
            f"{job_type} has no setting {keys}; its settings are: "
            f"{', '.join(sorted(model.model_fields))} (and schedule)."
        )
    return " ".join(said)


def _sentence(model: type[JobSettings], problem: ErrorDetails, job_type: str) -> str:
    """One problem of a validation, as a sentence naming the setting."""
    key = ".".join(str(part) for part in problem["loc"]) or "config_json"
    kind = problem["type"]
    given = problem.get("input")
    if kind == "missing":
        return f"Missing required config: {key}."
    field = model.model_fields.get(str(problem["loc"][0])) if problem["loc"] else None
    low, high = _bounds(field)
    if kind.startswith("int") or (field is not None and field.annotation is int):
        if isinstance(given, int) and not isinstance(given, bool):
            return f"{key} must be between {number(low)} and {number(high)} (got {given})."
        return f"{key} must be a whole number (got {_as_given(given)})."
    if field is not None and field.annotation is float:
        what = "seconds" if key.endswith("seconds") else "a number"
        if key == "timeout_seconds":
            return (
                f"timeout_seconds must be a positive number of seconds, at most {number(high)} "
                f"(got {_as_given(given)})."
            )
        shown = _as_given(given)
        return f"{key} must be {what} between {number(low)} and {number(high)} (got {shown})."
    if kind == "bool_type":
        return f"{key} must be true or false (got {_as_given(given)})."
    if kind == "dict_type":
        return f'{key} must be a JSON object like {{"top_n": 20}} (got {_as_given(given)}).'
    return f"{key}: {problem['msg'].lower()} (got {_as_given(given)})."


def _as_given(value: object) -> str:
    """A value given in a configuration, as it was written: JSON's null, true and false
    (`jobs set key=null` read "(got None)"), else its repr, cut short."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return shorten(value)


def _bounds(field: Any) -> tuple[float, float]:
    """The lowest and highest value a field's metadata allows."""
    low, high = -math.inf, math.inf
    for rule in getattr(field, "metadata", ()):
        for name in ("ge", "gt"):
            if getattr(rule, name, None) is not None:
                low = getattr(rule, name)
        for name in ("le", "lt"):
            if getattr(rule, name, None) is not None:
                high = getattr(rule, name)
    return low, high
