"""A report's HTML page, made to be read: outputs only, offline, no blank widgets.

- Code is hidden unless asked for (``smurf report --show-code``); papermill's injected
  parameters (absolute paths) go with it, since each notebook states its parameters in
  words at the top.
- The page loads nothing from the network: the ``reader`` template drops the CDN scripts
  of JupyterLab's template (require.js, MathJax, mermaid, the widget embedder).
- Widget state is dropped, so a widget shows the static HTML it carries beside its view
  (nbconvert falls back to it) instead of an empty box that waits for a CDN script.
- The page's title (a browser tab, a bookmark) is the notebook's heading and the run's
  name, ``Smurf report · 01-smurf-report-20261202T054233Z``, not nbconvert's "Notebook".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "reader"
INJECTED_TAG = "injected-parameters"


def export_html(executed: Path, *, show_code: bool = False) -> Path:
    """Write ``executed`` as a self-contained HTML page beside it; return its path."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed), as_version=4)  # type: ignore[no-untyped-call]
    for_readers(nb, show_code=show_code)
    nb.metadata["title"] = page_title(nb, executed.stem)
    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        template_name=TEMPLATE_NAME,
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    body, _resources = exporter.from_notebook_node(nb)
    html = executed.with_suffix(".html")
    # Written whole or not at all: a page marks its report finished (retention, ``since``),
    # and a process killed mid-write must not leave half of one under that name.
    partial = html.with_name(f".{html.name}.partial")
    try:
        partial.write_text(body, encoding="utf-8")
        partial.replace(html)
    finally:
        partial.unlink(missing_ok=True)
    return html


def for_readers(nb: Any, *, show_code: bool) -> None:
    """Prepare an executed notebook for its HTML page (in place)."""
    nb.metadata.pop("widgets", None)
    if not show_code:
        nb.cells = [
            c for c in nb.cells if INJECTED_TAG not in c.get("metadata", {}).get("tags", [])
        ]


def page_title(nb: Any, run: str) -> str:
    """The notebook's first heading (``# Smurf report``) and the run's name, or the run's
    name alone when the notebook has no heading."""
    for cell in nb.cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in str(cell.get("source", "")).splitlines():
            if line.startswith("# "):
                return f"{line.removeprefix('# ').strip()} · {run}"
    return run
