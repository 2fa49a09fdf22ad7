"""Errors of the report runner::

ReportError
├── NotebookNotFoundError     no notebook of that name in the notebooks folder
├── MissingDatabaseError      the database the notebook would read does not exist
├── OutputFolderError         the folder for the report's files cannot be made
├── ParameterError            a -p value the notebook cannot take
│   ├── UnknownParameterError     the notebook declares no such parameter
│   ├── ParameterTypeError        the value does not fit the declared type
│   ├── ParameterRangeError       the value is outside the declared bounds
│   ├── ParameterChoiceError      the text is none of the values it takes
│   ├── ParameterTimeError        the text does not read as an ISO 8601 time
│   ├── ParameterOrderError       since is after as_of
│   └── ParameterPathError        a file the notebook would write cannot be written there
├── NotebookExecutionError    a cell raised while the notebook ran (names the cell)
│   └── KernelDiedError           the kernel process ended while a cell ran
└── ReportStoppedError        the run was stopped before the report was done (no files kept)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pipeline.config import demo_database_beside
from pipeline.errors import SmurfError, shorten
from pipeline.words import number
from pipeline.workspace import missing_database_advice


class ReportError(SmurfError):
    """Base class of errors raised while preparing or running a report."""


class NotebookNotFoundError(ReportError):
    """The requested notebook is not in the notebooks folder."""

    def __init__(self, name: str, folder: str, available: list[str]) -> None:
        self.name = name
        self.available = available
        choices = ", ".join(available) or "none"
        super().__init__(f"There is no notebook {name!r} in {folder}; choose one of: {choices}.")


class OutputFolderError(ReportError):
    """The folder the report's files go to cannot be made (or is a file)."""

    def __init__(self, folder: Path, why: str) -> None:
        self.folder = folder
        super().__init__(
            f"The report folder {folder} cannot be made ({why}): choose another one"
            " (`smurf report --out`, or NOTEBOOK_REPORT's output_dir)."
        )


class MissingDatabaseError(ReportError):
    """The notebook's ``db_path`` names no file."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        demo = demo_database_beside(Path(db_path))
        if demo is not None:
            # -p db_path wins over --db: the advice names both.
            advice = (
                f"The demo's database is beside it: run `smurf --db {demo} report ...` "
                f"(or give -p db_path={demo})."
            )
        else:
            advice = missing_database_advice()
        super().__init__(
            f"The database {db_path} does not exist (point the report at another with --db). "
            + advice
        )


class ParameterError(ReportError):
    """A report parameter cannot be used with this notebook."""


class UnknownParameterError(ParameterError):
    """The notebook's parameters cell does not declare this name."""

    def __init__(self, name: str, notebook: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(
            f"The notebook {notebook} has no parameter {name!r}; "
            f"its parameters are: {', '.join(known) or 'none'}."
        )


class ParameterRangeError(ParameterError):
    """The value is outside the bounds the parameters cell declares."""

    def __init__(self, name: str, value: object, low: float, high: float) -> None:
        self.name = name
        self.value = value
        super().__init__(
            f"The parameter {name!r} must be between {number(low)} and {number(high)} "
            f"(got {value})."
        )


class ParameterChoiceError(ParameterError):
    """The text is none of the values the parameters cell lists for it."""

    def __init__(self, name: str, value: object, choices: tuple[str, ...], default: object) -> None:
        self.name = name
        self.value = value
        super().__init__(
            f"The parameter {name!r} takes {', '.join(choices)} or its default "
            f"{default!r} (got {shorten(value)}); e.g. -p {name}={choices[0]}."
        )


class ParameterTimeError(ParameterError):
    """The text of a time parameter does not read as an ISO 8601 time."""

    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = value
        super().__init__(
            f"The parameter {name!r} is a UTC time in ISO 8601 (got {shorten(value)}); "
            f"e.g. -p {name}=2026-11-29T18:00 or -p {name}=2026-11-29."
        )


class ParameterOrderError(ParameterError):
    """``since`` is after ``as_of``: the window of changes would end before it starts."""

    def __init__(self, since: datetime, as_of: datetime, as_of_given: bool) -> None:
        self.since = since
        self.as_of = as_of
        # To the second: a since seconds after as_of would read as the same minute.
        shown = "%Y-%m-%d %H:%M:%S"
        until = f"as_of ({as_of:{shown}} UTC)" if as_of_given else "now (as_of is empty)"
        super().__init__(
            f"The parameter 'since' ({since:{shown}} UTC) is after {until}: give an earlier "
            "since, or leave it empty (the previous report's time when that is earlier, "
            "else 24 hours before as_of)."
        )


class ParameterPathError(ParameterError):
    """A path parameter names a file the notebook could not write (its folder is missing,
    or it is a folder): refused before the notebook runs, not in its last cell."""

    def __init__(self, name: str, path: Path, why: str) -> None:
        self.name = name
        self.path = path
        super().__init__(
            f"The parameter {name!r} names {path}, {why}: give a file in an existing folder,"
            f" e.g. -p {name}=data/reports/suspects.csv, or leave it out."
        )


class ParameterTypeError(ParameterError):
    """The value cannot be read as the type the parameters cell declares."""

    def __init__(self, name: str, value: object, type_name: str) -> None:
        self.name = name
        self.value = value
        self.type_name = type_name
        words, example = _TYPE_WORDS.get(type_name, (f"of type {type_name}", type_name))
        super().__init__(
            f"The parameter {name!r} must be {words} (got {shorten(value)}); "
            f"pass it as, e.g., -p {name}={example}."
        )


class NotebookExecutionError(ReportError):
    """A cell of the notebook raised while it ran."""

    def __init__(
        self,
        notebook: str,
        cell_index: int,
        cell_first_line: str,
        error_name: str,
        error_value: str,
        output_path: str,
    ) -> None:
        self.notebook = notebook
        self.cell_index = cell_index
        self.cell_first_line = cell_first_line
        self.error_name = error_name
        self.error_value = error_value
        self.output_path = output_path
        super().__init__(
            f"The notebook {notebook} failed in cell {cell_index} ({cell_first_line!r}, "
            f"counting from 0) with {error_name}: {error_value.rstrip('.')}. "
            f"The partly executed notebook is {output_path}."
        )


class KernelDiedError(NotebookExecutionError):
    """The kernel process ended while a cell ran: killed (for memory, most often) or crashed."""

    def __init__(
        self,
        notebook: str,
        cell_index: int,
        cell_first_line: str,
        output_path: str,
        ended: str,
        last_words: str,
    ) -> None:
        how = ended or "ended"  # "was killed by signal 9 (SIGKILL; ...)", "exited with ..."
        said = f" Its last words on stderr: {last_words}" if last_words else ""
        super().__init__(
            notebook,
            cell_index,
            cell_first_line,
            "KernelDied",
            f"the notebook's kernel process {how}.{said}",
            output_path,
        )


# A declared type in words (as `smurf jobs set` words its own), and a value of it.
_TYPE_WORDS = {
    "int": ("a whole number", "10"),
    "float": ("a number", "0.5"),
    "bool": ("true or false", "true"),
    "str": ("text", "text"),
}


class ReportStoppedError(ReportError):
    """The run was stopped (Ctrl-C, a shutdown, its timeout) before the report was done."""

    def __init__(self, notebook: str) -> None:
        self.notebook = notebook
        super().__init__(
            f"The {notebook} report was stopped before it was done; none of its files were kept."
        )
