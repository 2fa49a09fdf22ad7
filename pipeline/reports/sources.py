"""Notebook sources: the tracked, pristine notebooks that reports run and `smurf lab` copies.

The repository keeps its notebooks as percent-format scripts (``# %%`` cells, read and
written by jupytext): they diff like code, can never carry outputs, and JupyterLab does
not rewrite them while someone explores. A folder may also hold ``.ipynb`` notebooks; a
script wins when both exist under one name.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.reports.errors import NotebookNotFoundError

# The repository's notebooks folder, beside the package.
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
SOURCE_SUFFIXES = (".py", ".ipynb")


# A notebook script has cell markers: jupytext's percent format (``# %%``) or its light
# format (``# +``); any other .py is code.
CELL_MARKERS = ("# %%", "# +")


def is_notebook(path: Path) -> bool:
    """Whether ``path`` is a notebook: an .ipynb, or a script with ``# %%`` or ``# +``
    cells."""
    if not path.is_file():
        return False
    if path.suffix == ".ipynb":
        return True
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(line.startswith(CELL_MARKERS) for line in text.splitlines())


def _names_a_kernel(path: Path) -> bool:
    import json

    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return True  # unreadable: the tool's own error says why
    return bool((metadata.get("kernelspec") or {}).get("name"))


def available_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """The names (without suffix) of the notebooks in ``notebooks_dir`` (a folder's other
    Python files are not offered)."""
    return sorted(
        {
            p.stem
            for suffix in SOURCE_SUFFIXES
            for p in notebooks_dir.glob(f"*{suffix}")
            if is_notebook(p)
        }
    )


def find_notebook(name: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """The source file of notebook ``name`` (with or without suffix) in ``notebooks_dir``."""
    stem = name.removesuffix(".ipynb").removesuffix(".py")
    for suffix in SOURCE_SUFFIXES:
        path = notebooks_dir / f"{stem}{suffix}"
        if is_notebook(path):
            return path
    raise NotebookNotFoundError(name, str(notebooks_dir), available_notebooks(notebooks_dir))


# ipykernel installs this kernelspec; jupyter_client starts it with sys.executable. Every
# report runs on it, whatever kernel its notebook names.
KERNEL_NAME = "python3"
KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}


def load_notebook(source: Path) -> Any:
    """The notebook at ``source`` (script or .ipynb) as an nbformat ``NotebookNode``; one
    that names no kernel (a notebook written by a tool, or by hand) is given ours."""
    import jupytext  # slow to import: only when a notebook is read

    nb = jupytext.read(str(source))
    if not (nb.metadata.get("kernelspec") or {}).get("name"):
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


@contextmanager
def as_ipynb(source: Path) -> Iterator[Path]:
    """``source`` as an .ipynb file naming its kernel, for tools that read only that format
    and need the kernel's name (papermill reads the parameters with it)."""
    if source.suffix == ".ipynb" and _names_a_kernel(source):
        yield source
        return
    import jupytext

    with tempfile.TemporaryDirectory(prefix="smurf-notebook-") as folder:
        path = Path(folder) / f"{source.stem}.ipynb"
        jupytext.write(load_notebook(source), str(path))
        yield path
