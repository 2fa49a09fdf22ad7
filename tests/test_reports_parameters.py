"""Report parameters: parsing -p pairs, coercing to declared types, rejecting the unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.reports import (
    ParameterError,
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
    """A value that cannot be read as the declared type is a ParameterTypeError naming both."""
    with pytest.raises(ParameterTypeError) as caught:
        coerce("top_n", value, type_name)
    assert "'top_n'" in str(caught.value)
    assert type_name in str(caught.value)


def test_parse_assignments_splits_on_the_first_equals_sign() -> None:
    """`-p key=value` pairs become a mapping; values may contain '=' and later keys win."""
    expected = {"as_of": "2026-01-01", "query": "a=b", "top_n": "3"}
    assert expected == parse_assignments(["top_n=1", "as_of=2026-01-01", "query=a=b", "top_n=3"])


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
        "MissingDatabaseError",
        "NOTEBOOKS_DIR",
        "NotebookExecutionError",
        "NotebookNotFoundError",
        "ParameterError",
        "ParameterRangeError",
        "ParameterTypeError",
        "ReportError",
        "ReportResult",
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
    assert pipeline.explorer.__all__ == ["jobs", "players", "quality", "scores", "sql"]
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
