"""How notebooks show things to a reader: a header in words, tables that fit the page.

    header(*facts)            a run's parameters as one line of words
    percent(value)            0.9712 -> "97%"
    interactive_tables()      load the DataTables bundle into the page (offline, once)
    pages_note(rows)          "1,000 rows, shown 50 a page: ..." above a long paged table
    show_table(frame, empty)  a sentence when empty; a sortable, scrolling table when the
                              frame is wide or long; plain HTML otherwise
    table_html(frame)         a frame as plain HTML in a box that scrolls sideways
    fitted_html(fragment)     HTML that never grows wider than the page (widgets' HTML)
    moment(value)             a time to the minute
    figure_html(fig)          a figure as an inline PNG (for static HTML like the player card)

Interactive tables are itables in offline mode: the DataTables code is embedded in the
notebook once, so reports sort and scroll without a network and never call a CDN.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML, Markdown
from IPython.display import display as _untyped_display
from IPython.utils.capture import capture_output
from matplotlib.figure import Figure

from pipeline.store.location import Location, is_lake_url
from pipeline.words import number
from pipeline.workspace import PROJECT_ROOT

# JupyterLab's class for rendered HTML output, whose stylesheet styles tables and headings.
RENDERED_OUTPUT = "jp-RenderedHTMLCommon"
# Frames up to this size are plain HTML; anything wider or longer becomes a DataTable.
PLAIN_MAX_COLUMNS = 8
PLAIN_MAX_ROWS = 15
PAGE_LENGTH = 15
# An ad hoc query's result is what the analyst asked to see: longer pages of it.
QUERY_PAGE_LENGTH = 50
# The page lengths a reader can choose beside the first, and "All" (DataTables' -1).
LONGER_PAGES = (50, 200, 1000)
ALL_ROWS: dict[str, Any] = {"label": "All", "value": -1}
# itables shrinks tables beyond this many bytes; reports show every row they list.
MAX_TABLE_BYTES = 2**22
# itables' classes without "nowrap": a column of sentences (why a run stopped, an error)
# wraps within the page instead of running past its right edge.
TABLE_CLASSES = "display compact"
# JupyterLab right-aligns every table cell; words read better aligned left, so only the
# columns DataTables finds numeric or dates stay right-aligned, and those ``show_table``
# marks ``dt-right`` (numbers written as text beside "n/a"). JupyterLab also lays
# tables out with fixed column widths, which DataTables sets from the titles: a column of
# sentences under a short title is squeezed to a word per line while the next runs past
# the edge. Widths that follow the contents read as in a page.
TABLE_CSS = (
    ".dt-container table.dataTable th:not(.dt-type-numeric):not(.dt-type-date):not(.dt-right),"
    ".dt-container table.dataTable td:not(.dt-type-numeric):not(.dt-type-date):not(.dt-right)"
    " { text-align: left; }"
    " .dt-container table.dataTable { table-layout: auto; }"
)


def display(obj: object) -> None:
    """IPython's display (untyped upstream)."""
    _untyped_display(obj)  # type: ignore[no-untyped-call]


def header(*facts: str) -> Markdown:
    """The facts of a run (parameters in words) as one line: ``a · b · c``."""
    return Markdown(" · ".join(fact for fact in facts if fact))  # type: ignore[no-untyped-call]


def shown_path(path: Location | str) -> str:
    """A path as a reader recognises it: from the project root when inside it (a lake as
    its URL)."""
    if is_lake_url(path):
        return str(path)
    absolute = Path(str(path)).resolve()
    try:
        return str(absolute.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(absolute)


def percent(value: object) -> str:
    """A probability as a whole percentage (``0.9712`` -> ``97%``); blank when missing."""
    if value is None or not isinstance(value, int | float) or pd.isna(value):
        return ""
    return f"{value:.0%}"


def interactive_tables(*, every_frame: bool = False, page_length: int = PAGE_LENGTH) -> None:
    """Embed the DataTables bundle in this notebook so ``show_table`` works offline.

    With ``every_frame``, every DataFrame a cell returns is shown as such a table too, with
    ``page_length`` rows a page (a reader may choose longer pages, or All).
    """
    import itables
    import itables.options as options

    options.maxBytes = MAX_TABLE_BYTES
    options.display_logo_when_loading = False
    options.scrollX = True
    options.classes = TABLE_CLASSES
    options.css = TABLE_CSS
    # A click on a column's title sorts by it, as readers expect (itables otherwise keeps
    # the title for selecting text and sorts only from the small arrows beside it).
    options.text_in_header_can_be_selected = False
    options.pageLength = page_length
    longer = [n for n in LONGER_PAGES if n > page_length]
    lengths: list[int | str | dict[str, Any]] = [page_length, *longer, ALL_ROWS]
    options.lengthMenu = lengths
    with capture_output(stdout=False, stderr=False) as shown:
        itables.init_notebook_mode(all_interactive=every_frame, connected=False)
    # itables shows a script that awaits the bundle before the bundle itself. JupyterLab
    # runs each output's scripts as it arrives, so in that order the first one finds no
    # bundle and the console shows a TypeError: show the bundle first.
    for output in reversed(shown.outputs):
        page = output.data.get("text/html")
        display(HTML(without_trust_note(page)) if page else output)  # type: ignore[no-untyped-call]


# What itables writes beside its bundle for a page that runs no scripts: "This is the
# init_notebook_mode cell from ITables ... (you should not see this message - is your notebook
# trusted?)". A report's page, or a viewer of the saved notebook that runs no scripts, would
# show it where the reader expects the report; the tables themselves still show a plain copy.
_TRUST_NOTE = re.compile(r"<div[^>]*>\s*<noscript>.*?</noscript>\s*</div>", re.DOTALL)


def without_trust_note(page: str) -> str:
    """The HTML of itables' offline bundle without its note asking whether the notebook is
    trusted (shown only where scripts do not run)."""
    return _TRUST_NOTE.sub("", page)


def pages_note(rows: int, page_length: int = PAGE_LENGTH) -> str | None:
    """How many rows a table shown ``page_length`` rows a page holds and how to see them
    all; None when they fit on one page."""
    if rows <= page_length:
        return None
    return (
        f'{number(rows)} rows, shown {page_length} a page: choose All under "entries per page"'
        " to see them on one page, or page through them below the table."
    )


def show_table(frame: pd.DataFrame, *, empty: str, index: bool = False, paged: bool = True) -> None:
    """Display ``frame`` for a reader, or the sentence ``empty`` when it has no rows.

    A long table shows ``PAGE_LENGTH`` rows a page; with ``paged=False`` every row on one
    (a list the reader sized, such as a report's ``top_n``, so a printed report shows all).
    """
    if frame.empty:
        display(Markdown(f"*{empty}*"))  # type: ignore[no-untyped-call]
        return
    frame = with_separators(frame)
    if len(frame.columns) > PLAIN_MAX_COLUMNS or len(frame) > PLAIN_MAX_ROWS:
        import itables

        shift = 1 if index else 0
        # Columns of numbers written as text ("10,120" beside "n/a"): DataTables aligns
        # only the columns it reads as numbers to the right.
        right = [shift + i for i in range(frame.shape[1]) if _numbers_as_text(frame.iloc[:, i])]
        itables.show(
            frame if index else frame.reset_index(drop=True),
            showIndex=index,
            paging=paged and len(frame) > PAGE_LENGTH,
            columnDefs=[{"className": "dt-right", "targets": right}] if right else [],
        )
    else:
        display(HTML(table_html(frame, index=index)))  # type: ignore[no-untyped-call]


# Integer columns that name things rather than count them keep their digits bare.
_NAMES = re.compile(r"(.*[ _])?(id|pid|queue|version|year)", re.IGNORECASE)


def with_separators(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its counts (integer columns, but ids and the like) written "10,120":
    as text, which the interactive tables still sort as numbers (DataTables reads such
    formatted numbers as numbers; a column that also holds words, such as "n/a", sorts as
    text)."""
    counts = [
        column
        for column in frame.columns
        if pd.api.types.is_integer_dtype(frame[column]) and not _NAMES.fullmatch(str(column))
    ]
    if not counts:
        return frame
    shown = frame.copy()
    for column in counts:
        shown[column] = [number(int(v)) if pd.notna(v) else "" for v in frame[column]]
    return shown


def table_html(frame: pd.DataFrame, *, index: bool = False, header: bool = True) -> str:
    """``frame`` as plain HTML at the left of a box that scrolls sideways instead of the
    page, its columns of words aligned left (numbers, percentages and times stay right, as
    in the interactive tables)."""
    table = frame.to_html(index=index, header=header, border=0, na_rep="", float_format=_number)
    # At the left, under its heading: JupyterLab centres a rendered table in the page.
    table = table.replace("<table ", '<table style="margin-left:0; margin-right:auto" ', 1)
    style, table = _words_left(frame, table, index)
    return f'{style}<div style="overflow-x:auto; max-width:100%">{table}</div>'


# A value that reads as a number, a percentage, a time or a score (K/D/A): no letters,
# or "n/a" where a share has nothing to count.
_NOT_WORDS = re.compile(r"[^A-Za-z]*|n/a", re.IGNORECASE)


def _words_left(frame: pd.DataFrame, table: str, index: bool) -> tuple[str, str]:
    """A stylesheet of ``table``'s own aligning its columns of words to the left (empty
    when it has none), and the table named for it: JupyterLab right-aligns every cell of
    rendered HTML, where a column of names or sentences reads ragged."""
    columns = [frame.index.to_series()] if index else []
    columns += [frame.iloc[:, i] for i in range(frame.shape[1])]
    wordy = [
        position
        for position, values in enumerate(columns, start=1)
        if any(not _NOT_WORDS.fullmatch(str(v)) for v in values if _plain_text(v))
    ]
    if not wordy:
        return "", table
    # Named after its contents: the same table gets the same name (a page's copies of
    # one table share the same rules), another table another.
    name = f"smurf-table-{hashlib.sha1(table.encode()).hexdigest()[:12]}"
    cells = ", ".join(f".{name} td:nth-child({n}), .{name} th:nth-child({n})" for n in wordy)
    table = table.replace('class="dataframe"', f'class="dataframe {name}"', 1)
    return f"<style>{cells} {{ text-align: left; }}</style>", table


def _numbers_as_text(values: pd.Series) -> bool:
    """Whether a column of text holds only numbers, percentages or times (and "n/a")."""
    if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
        return False
    texts = [_plain_text(v) for v in values]
    return any(any(c.isdigit() for c in t) for t in texts) and all(
        _NOT_WORDS.fullmatch(t) for t in texts if t
    )


def _plain_text(value: object) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and pd.isna(value):
        return ""
    return str(value).strip()


def fitted_html(fragment: str) -> str:
    """``fragment`` in a box as wide as the page and never wider.

    A widget's HTML sits in a flex box, which grows to its widest content (a wide table,
    even in its scrolling box) and pushes the rest past the right edge. A grid column of
    ``minmax(0, 1fr)`` asks for no width of its own, so tables scroll in their boxes and
    figures shrink to fit. The widget's line height, made for one-line controls, is set
    back to the page's so tables and paragraphs are not double-spaced. JupyterLab styles
    tables (padding, rules, stripes) only inside rendered output, which a widget's HTML is
    not: the class of rendered output gives the fragment's tables the same look.
    """
    return (
        '<div style="display:grid; grid-template-columns:minmax(0, 1fr)">'
        f'<div class="{RENDERED_OUTPUT}" style="min-width:0; line-height:normal">'
        f"{fragment}</div></div>"
    )


def moment(value: object) -> str:
    """A time as a reader reads it, to the minute (``2026-11-28 11:00``); blank if missing."""
    if not isinstance(value, datetime | str) or pd.isna(value):  # NaT is a datetime too
        return ""
    return f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def figure_html(fig: Figure, *, alt: str = "") -> str:
    """``fig`` as an inline PNG ``<img>`` that shrinks to the width of the page."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" '
        'style="max-width:100%; height:auto">'
    )


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")
