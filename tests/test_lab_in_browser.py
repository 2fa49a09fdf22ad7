"""`smurf lab` as an analyst meets it: JupyterLab in headless Chromium, each notebook opened
from the file browser, Run All Cells from the Run menu, and what the page then shows.

Skipped, saying so, where Chromium is not installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.reports import NOTEBOOKS_DIR, available_notebooks
from tests.browser import MISSING, Browser, Page, find_chromium
from tests.lab_server import TOKEN, Lab, running_lab
from tests.notebook_world import build_world, clock_now

pytestmark = pytest.mark.slow

NOTEBOOK = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')"
KERNEL_IDLE = (
    "[...document.querySelectorAll('.jp-StatusBar-TextItem')]"
    ".some(e => / \\| Idle$/.test(e.innerText.trim()))"
)
# Every code cell has run ([n]:, not [ ]: or [*]:) and the kernel is idle again.
ALL_RUN = f"""(() => {{
  const prompts = [...{NOTEBOOK}.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()))
    && {KERNEL_IDLE};
}})()"""
# What the run shows: error outputs, counts of tables, images and widget list entries, text.
# Text is read as textContent: with JupyterLab's default windowing, cells out of view are not
# rendered and their innerText is empty.
SHOWN = f"""(() => {{
  const nb = {NOTEBOOK};
  const outputs = [...nb.querySelectorAll('.jp-OutputArea-output')];
  return {{
    errors: outputs.filter(o => o.dataset.mimeType === 'application/vnd.jupyter.stderr')
      .map(o => o.textContent.slice(0, 2000)),
    silent_cells: [...nb.querySelectorAll('.jp-CodeCell')]
      .filter(c => !c.querySelector('.jp-OutputArea-output')).length,
    tables: nb.querySelectorAll('.jp-OutputArea-output table').length,
    images: nb.querySelectorAll('.jp-OutputArea-output img').length,
    listed: nb.querySelectorAll('.jp-OutputArea-output .jupyter-widgets select option').length,
    cards: [...nb.querySelectorAll('.jp-OutputArea-output h3')].map(h => h.textContent),
    // Tables whose cells sit almost flush (the browser's 1 px): no stylesheet reached them.
    unstyled: [...nb.querySelectorAll('.jp-OutputArea-output table')]
      .filter(t => t.querySelector('td'))
      .filter(t => parseFloat(getComputedStyle(t.querySelector('td')).paddingLeft) < 3)
      .map(t => t.innerText.slice(0, 60)),
    text: outputs.map(o => o.textContent).join('\\n'),
  }};
}})()"""
# Anything but a table (which may scroll sideways in its own box) that reaches past the
# right edge of its output, where a reader cannot see it (a widget's margin of a few pixels
# aside).
OFF_THE_PAGE = f"""(() => {{
  const found = [];
  for (const output of {NOTEBOOK}.querySelectorAll('.jp-OutputArea-output')) {{
    const edge = output.getBoundingClientRect().right + 4;
    for (const e of output.querySelectorAll('img, p, h1, h2, h3, h4, li, select')) {{
      if (e.closest('table, .dt-container')) continue;
      const box = e.getBoundingClientRect();
      if (box.width > 0 && box.right > edge)
        found.push(`${{e.tagName}} "${{(e.alt || e.innerText).slice(0, 40)}}" ends at `
                   + `${{Math.round(box.right)}} px, the output at ${{Math.round(edge)}} px`);
    }}
    // Nor may anything but a table's own box scroll sideways (a widget box a few pixels
    // too narrow puts a scrollbar under the whole explorer).
    for (const e of [output, ...output.querySelectorAll('*')]) {{
      if (e.closest('.dt-container') || e.firstElementChild?.tagName === 'TABLE') continue;
      const scrolls = ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
      if (scrolls && e.clientWidth > 0 && e.scrollWidth > e.clientWidth)
        found.push(`${{e.tagName}}.${{e.className}} scrolls sideways: `
                   + `${{e.scrollWidth}} px in ${{e.clientWidth}} px`);
    }}
  }}
  return found;
}})()"""

# What each notebook must show once run, on the known world of tests/notebook_world.py.
EXPECTED = {
    "01-smurf-report": {"tables": 3, "images": 2, "text": "newly flagged"},
    "02-player-explorer": {"images": 2, "listed": 1, "text": "players pass the filters"},
    # The world is dated from the clock: its 24 runs, 6 hours apart, all in the 7 days.
    "03-job-monitor": {"text": "24 executions in the window."},
    "04-sql": {"tables": 4, "text": "Refused: Notebook queries are read-only"},
}
PARAMETERS_CELLS = 1  # the one code cell that shows nothing when run


@pytest.fixture(scope="module")
def chromium() -> str:
    executable = find_chromium()
    if executable is None:
        pytest.skip(MISSING.replace("the report browser check", "the JupyterLab check"))
    return executable


# JupyterLab's settings as a user has them, and with every cell rendered at once (by
# default only the cells in view are laid out), so that one look measures every output.
WINDOWING = ("default", "none")


@pytest.fixture(scope="module", params=WINDOWING)
def windowing(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def lab(chromium: str, windowing: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """`smurf lab` on the known world, with working copies in a temporary folder."""
    root = tmp_path_factory.mktemp("lab-browser")
    db = build_world(root / "world.duckdb", now=clock_now())
    work = root / "work"
    if windowing != "default":
        settings = work / ".settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        (settings / "tracker.jupyterlab-settings").write_text(
            json.dumps({"windowingMode": windowing})
        )
    with running_lab(db, work) as running:
        yield running


@pytest.fixture(scope="module")
def page(lab: Lab, chromium: str) -> Iterator[Page]:
    """JupyterLab's page in headless Chromium, its file browser listing the notebooks."""
    with Browser(chromium, width=1400, height=1000) as browser:
        shown = browser.visit(f"{lab.url}/lab?token={TOKEN}")
        # The file browser fills in while the splash screen still covers the page.
        shown.wait_for(
            "document.querySelectorAll('.jp-DirListing-item').length >= 4"
            " && !document.querySelector('#jupyterlab-splash')",
            timeout_s=120,
            what="the file browser",
        )
        yield shown


def open_from_file_browser(page: Page, filename: str) -> None:
    """Double-click the notebook in the file browser; wait for its kernel to be idle."""
    item = (
        "[...document.querySelectorAll('.jp-DirListing-item')]"
        f".find(e => e.querySelector('.jp-DirListing-itemText').innerText.trim() === '{filename}')"
    )
    page.click(item, count=2)
    page.wait_for(
        "[...document.querySelectorAll('.lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')]"
        f".some(e => e.innerText.trim() === '{filename}')",
        what=f"the tab of {filename}",
    )
    page.wait_for(KERNEL_IDLE, timeout_s=120, what=f"the kernel of {filename}")


def run_all_cells(page: Page) -> None:
    """Run > Run All Cells, from the menu bar; wait until every cell has run."""
    page.click(
        "[...document.querySelectorAll('.lm-MenuBar-item')].find(e => e.innerText.trim() === 'Run')"
    )
    page.click(
        "[...document.querySelectorAll('.lm-Menu-item')]"
        ".find(e => e.querySelector('.lm-Menu-itemLabel')?.innerText.trim() === 'Run All Cells')"
    )
    page.wait_for(ALL_RUN, timeout_s=240, what="every cell to run")


@pytest.mark.parametrize("name", available_notebooks())
def test_run_all_cells_shows_results_with_no_edit(
    page: Page, windowing: str, name: str, tmp_path: Path
) -> None:
    """Opened from the file browser and run with Run All Cells, unedited, every notebook
    shows its results: no error output, every cell shows something, its tables, figures
    and widgets are there, every table is styled (a player card's too), nothing but a
    table reaches past the page, and the browser console stays free of errors. With the
    settings a user has, and with every cell laid out, where the layout is measured."""
    if name not in EXPECTED:
        pytest.fail(f"say in EXPECTED what {name} shows once run")
    before = sorted(p.name for p in NOTEBOOKS_DIR.iterdir())
    open_from_file_browser(page, f"{name}.ipynb")
    run_all_cells(page)
    page.capture(tmp_path / f"{name}.png")
    shown = page.evaluate(SHOWN)
    assert shown["errors"] == []
    if windowing == "none":  # otherwise only the cells in view have a layout to measure
        assert shown["unstyled"] == []
        assert page.evaluate(OFF_THE_PAGE) == []
    assert shown["silent_cells"] == PARAMETERS_CELLS
    expected = EXPECTED[name]
    for count in ("tables", "images", "listed"):
        assert shown[count] >= expected.get(count, 0), count
    assert expected["text"] in shown["text"]
    if name == "02-player-explorer":
        assert any("#" in card for card in shown["cards"])  # the top suspect's card
    assert page.errors() == []
    assert sorted(p.name for p in NOTEBOOKS_DIR.iterdir()) == before
