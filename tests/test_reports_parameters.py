"""Report parameters: parsing -p pairs, coercing to declared types, rejecting the unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.reports import (
    NotebookNotFoundError,
    ParameterChoiceError,
    ParameterError,
    ParameterOrderError,
    ParameterRangeError,
    ParameterTimeError,
    ParameterTypeError,
    UnknownParameterError,
    available_notebooks,
    check_parameters,
    declared_parameters,
    find_notebook,
    parse_assignments,
)
from pipeline.reports.parameters import coerce
from pipeline.reports.runner import NOTEBOOKS_DIR
from pipeline.reports.sources import load_notebook


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        ("5", "int", 5),
        (" -3 ", "int", -3),
        (7, "int", 7),
        ("0.25", "float", 0.25),
        ("2", "float", 2.0),
        (3, "float", 3.0),
        ("true", "bool", True),
        ("No", "bool", False),
        (False, "bool", False),
        ("euw1", "str", "euw1"),
        (420, "str", "420"),
        ("anything", "None", "anything"),
        ([1, 2], "list", [1, 2]),
    ],
)
def test_coerce_accepts_values_of_the_declared_type(
    value: object, type_name: str, expected: object
) -> None:
    """Text and JSON values that fit the annotation come back as that type."""
    actual = coerce("x", value, type_name)
    assert expected == actual
    assert type(expected) is type(actual)


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ("abc", "int"),
        ("5.5", "int"),
        (True, "int"),
        (2.5, "int"),
        ("x", "float"),
        (True, "float"),
        ("maybe", "bool"),
        (1, "bool"),
        ([1], "str"),
    ],
)
def test_coerce_rejects_values_that_do_not_fit(value: object, type_name: str) -> None:
    """A value that cannot be read as the declared type is a ParameterTypeError naming the
    parameter and the type in words (not Python's name for it), with a value that fits."""
    with pytest.raises(ParameterTypeError) as caught:
        coerce("top_n", value, type_name)
    words, example = {
        "int": ("a whole number", "10"),
        "float": ("a number", "0.5"),
        "bool": ("true or false", "true"),
        "str": ("text", "text"),
    }[type_name]
    assert str(caught.value).startswith(f"The parameter 'top_n' must be {words} (got ")
    assert str(caught.value).endswith(f"pass it as, e.g., -p top_n={example}.")


def test_parse_assignments_splits_on_the_first_equals_sign() -> None:
    """`-p key=value` pairs become a mapping; values may contain '='."""
    expected = {"as_of": "2026-01-01", "query": "a=b", "top_n": "3"}
    assert expected == parse_assignments(["top_n=3", "as_of=2026-01-01", "query=a=b"])


@pytest.mark.parametrize("pairs", [["top_n=1", "top_n=3"], ["top_n=1", " top_n =1"]])
def test_parse_assignments_refuses_a_key_given_twice(pairs: list[str]) -> None:
    """A key given twice is refused by name, even with the same value: the last one won."""
    with pytest.raises(ParameterError) as caught:
        parse_assignments(pairs)
    assert str(caught.value) == "The parameter 'top_n' is given twice: give each parameter once."


@pytest.mark.parametrize("pair", ["top_n", "=5", "  =x"])
def test_parse_assignments_rejects_pairs_without_a_name(pair: str) -> None:
    """A pair without 'name=' is an error showing the expected form."""
    with pytest.raises(ParameterError, match="key=value"):
        parse_assignments([pair])


def test_check_parameters_rejects_unknown_names_listing_the_known_ones() -> None:
    """An unknown parameter name is an error that lists the notebook's parameters."""
    notebook = find_notebook("01-smurf-report")
    declared = declared_parameters(notebook)
    with pytest.raises(UnknownParameterError) as caught:
        check_parameters(notebook, {"topn": "5"}, declared)
    assert "top_n" in str(caught.value)
    assert "'topn'" in str(caught.value)


def test_check_parameters_types_every_given_value() -> None:
    """Given values come back typed as the notebook declares them."""
    notebook = find_notebook("01-smurf-report")
    checked = check_parameters(
        notebook, {"top_n": "5", "platform": "na1"}, declared_parameters(notebook)
    )
    assert checked == {"top_n": 5, "platform": "na1"}


def _parameter_lines(notebook: Path) -> list[str]:
    cells = load_notebook(notebook).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{notebook.name} must have exactly one parameters cell"
    return [line for line in tagged[0].source.splitlines() if line.strip()]


@pytest.mark.parametrize(
    "notebook", [find_notebook(name) for name in available_notebooks()], ids=lambda p: p.stem
)
def test_every_parameter_is_typed_commented_and_readable(notebook: Path) -> None:
    """Each line of the parameters cell declares one parameter with a type and a comment."""
    lines = _parameter_lines(notebook)
    declared = declared_parameters(notebook)
    assert len(lines) == len(declared)
    for spec in declared.values():
        assert spec.type_name in {"str", "int", "float", "bool"}, spec
        assert spec.help, spec
    assert "db_path" in declared


def test_public_surfaces_are_pinned() -> None:
    """The names notebooks and jobs may import from reports and explorer do not drift."""
    import pipeline.explorer
    import pipeline.reports

    assert sorted(pipeline.reports.__all__) == [
        "DEFAULT_NOTEBOOK",
        "DEFAULT_OUT_DIR",
        "DeclaredParameter",
        "KernelDiedError",
        "MissingDatabaseError",
        "NOTEBOOKS_DIR",
        "NotebookExecutionError",
        "NotebookNotFoundError",
        "OutputFolderError",
        "ParameterChoiceError",
        "ParameterError",
        "ParameterOrderError",
        "ParameterPathError",
        "ParameterRangeError",
        "ParameterTimeError",
        "ParameterTypeError",
        "ReportError",
        "ReportResult",
        "ReportStop",
        "ReportStoppedError",
        "UnknownParameterError",
        "available_notebooks",
        "check_parameters",
        "declared_parameters",
        "find_notebook",
        "last_report_time",
        "parse_assignments",
        "prune_reports",
        "reports_of",
        "run_report",
    ]
    assert pipeline.explorer.__all__ == ["carried", "jobs", "players", "quality", "scores", "sql"]
    for module in (pipeline.reports, pipeline.explorer):
        assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize("notebook", sorted(NOTEBOOKS_DIR.glob("*.py")), ids=lambda p: p.stem)
def test_every_number_a_notebook_takes_declares_its_bounds(notebook: Path) -> None:
    """Each int or float parameter of a shipped notebook ends its comment with [low, high],
    so no report runs with a negative count or an absurd window."""
    declared = declared_parameters(notebook)
    numbers = [p for p in declared.values() if p.type_name in ("int", "float")]
    assert [p.name for p in numbers if p.bounds is None] == []
    for parameter in numbers:
        low, high = parameter.bounds or (0, 0)
        assert low <= float(parameter.default) <= high


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ({"label": "SMURFS"}, ParameterChoiceError, "takes SMURF, BOOSTED or its default ''"),
        ({"label": "smurfs"}, ParameterChoiceError, "(got 'smurfs')"),
        ({"as_of": "yesterday"}, ParameterTimeError, "UTC time in ISO 8601"),
        ({"since": "2026-13-01"}, ParameterTimeError, "-p since=2026-11-29T18:00"),
        (
            {"since": "2026-12-02T05:42", "as_of": "2026-12-02T06:29+01:00"},
            ParameterOrderError,
            "'since' (2026-12-02 05:42:00 UTC) is after as_of (2026-12-02 05:29:00 UTC)",
        ),
        ({"since": "2999-01-01"}, ParameterOrderError, "is after now (as_of is empty)"),
        ({"platform": "EUW9"}, ParameterChoiceError, "takes br1, eun1, euw1,"),
        ({"platform": "europe"}, ParameterChoiceError, "(got 'europe'); e.g. -p platform=br1"),
    ],
)
def test_choices_and_times_are_checked_before_any_kernel(
    given: dict[str, str], error: type[ParameterError], message: str
) -> None:
    """A text whose comment lists its values, or says it holds an ISO 8601 time, is
    refused when it is neither (nor its default), with the values or the form it takes."""
    notebook = find_notebook("01-smurf-report")
    with pytest.raises(error, match=None) as caught:
        check_parameters(notebook, given, declared_parameters(notebook))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("notebook", "given", "message"),
    [
        ("04-sql", {"max_rows": "0"}, "'max_rows' must be between 1 and 1,000,000 (got 0)."),
        ("01-smurf-report", {"top_n": "0"}, "'top_n' must be between 1 and 1,000 (got 0)."),
    ],
)
def test_a_number_out_of_bounds_names_the_bounds_in_full(
    notebook: str, given: dict[str, str], message: str
) -> None:
    """The bounds of a number are written out with thousands separators, never as 1e+06."""
    path = find_notebook(notebook)
    with pytest.raises(ParameterRangeError) as caught:
        check_parameters(path, given, declared_parameters(path))
    assert str(caught.value).endswith(message)


def test_listed_values_times_and_defaults_are_taken() -> None:
    """The values listed, a time with a zone or without, and the default all pass."""
    notebook = find_notebook("01-smurf-report")
    given = {"label": "BOOSTED", "as_of": "2026-11-29T18:00:00Z", "since": ""}
    assert check_parameters(notebook, given, declared_parameters(notebook)) == given


@pytest.mark.parametrize(
    ("notebook", "name", "given", "passed"),
    [
        ("03-job-monitor", "job_type", "ban_checker", "BAN_CHECKER"),
        ("03-job-monitor", "job_type", " Match_Fetcher ", "MATCH_FETCHER"),
        ("01-smurf-report", "label", "boosted", "BOOSTED"),
        ("01-smurf-report", "label", "", ""),
    ],
)
def test_upper_case_names_are_taken_in_any_case_and_passed_in_upper_case(
    notebook: str, name: str, given: str, passed: str
) -> None:
    """`-p job_type=ban_checker` reports on BAN_CHECKER, as `smurf jobs` takes job types."""
    path = find_notebook(notebook)
    assert {name: passed} == check_parameters(path, {name: given}, declared_parameters(path))


@pytest.mark.parametrize(("given", "passed"), [("EUW1", "euw1"), (" Na1 ", "na1"), ("", "")])
def test_a_platform_is_taken_in_any_case_and_passed_in_lower_case(given: str, passed: str) -> None:
    """`-p platform=EUW1` reports on euw1 (the database's spelling), not on no platform."""
    notebook = find_notebook("01-smurf-report")
    declared = declared_parameters(notebook)
    assert declared["platform"].is_platform
    assert check_parameters(notebook, {"platform": given}, declared) == {"platform": passed}


def test_since_may_be_as_of_or_earlier() -> None:
    """A since up to as_of (or up to now, when as_of is empty) is taken."""
    from datetime import UTC, datetime

    notebook = find_notebook("01-smurf-report")
    declared = declared_parameters(notebook)
    same = {"since": "2026-12-02T05:29", "as_of": "2026-12-02T05:29Z"}
    assert check_parameters(notebook, same, declared) == same
    now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    assert check_parameters(notebook, {"since": "2026-12-02T05:42"}, declared, now=now)
    with pytest.raises(ParameterOrderError, match="is after now"):
        check_parameters(notebook, {"since": "2026-12-02T06:01"}, declared, now=now)


def test_the_job_monitor_lists_every_job_type() -> None:
    """The job monitor's job_type takes exactly the job types there are."""
    from pipeline.jobs.types import JobType

    declared = declared_parameters(find_notebook("03-job-monitor"))
    assert set(declared["job_type"].choices or ()) == {t.value for t in JobType}


def test_utc_time_reads_zones_as_utc_and_names_a_bad_time() -> None:
    """Notebooks read their time parameters as naive UTC, the database's own form."""
    from datetime import datetime

    from pipeline.workspace import utc_time

    assert utc_time("2026-11-29T19:00+01:00") == datetime(2026, 11, 29, 18, 0)
    assert utc_time("2026-11-29T18:00Z") == utc_time("2026-11-29 18:00")
    assert utc_time("  ") is None
    with pytest.raises(ValueError, match="as_of must be a UTC time in ISO 8601"):
        utc_time("yesterday", "as_of")


def test_one_of_takes_a_choice_or_nothing_and_names_the_choices() -> None:
    from pipeline.workspace import one_of

    assert one_of("", "label", ("SMURF", "BOOSTED")) == ""
    assert one_of("BOOSTED", "label", ("SMURF", "BOOSTED")) == "BOOSTED"
    assert one_of("boosted", "label", ("SMURF", "BOOSTED")) == "BOOSTED"
    assert one_of("euw1", "platform", ("euw1", "na1")) == "euw1"
    with pytest.raises(
        ValueError, match=r"label must be one of SMURF, BOOSTED or empty \(got 'smurfs'\)"
    ):
        one_of("smurfs", "label", ("SMURF", "BOOSTED"))
    with pytest.raises(ValueError, match=r"\(got 'EUW1'\)"):
        one_of("EUW1", "platform", ("euw1", "na1"))


def test_only_notebooks_are_offered_from_a_folder_of_scripts(tmp_path: Path) -> None:
    """A folder's plain Python files are not offered as notebooks (nor found by name); a
    percent-format script with cells and an .ipynb are."""
    (tmp_path / "helpers.py").write_text("import os\nprint(os.getcwd())\n")
    (tmp_path / "cells.py").write_text("# %%\nx = 1\n\n# %% [markdown]\n# A note\n")
    (tmp_path / "saved.ipynb").write_text("{}")
    (tmp_path / "light.py").write_text('# + tags=["parameters"]\nx = 1\n# -\n')
    assert available_notebooks(tmp_path) == ["cells", "light", "saved"]
    assert find_notebook("cells", tmp_path) == tmp_path / "cells.py"
    with pytest.raises(NotebookNotFoundError, match="choose one of: cells, light, saved"):
        find_notebook("helpers", tmp_path)
