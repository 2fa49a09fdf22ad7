"""The README stays true: its commands exist, every command and job type is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

from pipeline.cli import cli
from pipeline.jobs.types import JobType

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += leaf_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def resolves(words: list[str]) -> bool:
    """Whether the leading words of a `smurf ...` line name a real command."""
    command: click.Command = cli
    for word in words:
        if not isinstance(command, click.Group) or word not in command.commands:
            return not isinstance(command, click.Group)
        command = command.commands[word]
    return not isinstance(command, click.Group)


def test_readme_opens_with_the_two_commands() -> None:
    """The first code block holds exactly `make demo` and `make test`."""
    first_block = README.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run calls `make test`, the command the README gives."""
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_every_smurf_command_in_the_readme_exists() -> None:
    """Each `smurf ...` the README shows resolves to a real command."""
    mentioned = re.findall(r"`(smurf [^`]+)`|^(smurf [^\n#]+)", README, flags=re.MULTILINE)
    lines = [a or b for a, b in mentioned]
    assert len(lines) > 20
    for line in lines:
        words = [w for w in line.split()[1:] if not w.startswith("-")]
        assert resolves(words), f"README mentions a command that does not exist: {line}"


def test_every_command_is_in_the_cli_reference() -> None:
    """Each command of the CLI appears in the README's CLI reference."""
    reference = README.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    for path in leaf_commands(cli):
        assert f"`smurf {' '.join(path)}" in reference, f"smurf {' '.join(path)} undocumented"


def test_every_option_is_in_its_commands_cli_reference_row() -> None:
    """Each command's row in the CLI reference names every option `--help` shows (but the
    database's, which every command takes), unless the row gives the command as `[OPTIONS]`
    and sends the reader to `--help`."""
    reference = README.split("## CLI reference", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in reference.splitlines() if line.startswith("| `smurf ")]
    for path in leaf_commands(cli):
        name = f"smurf {' '.join(path)}"
        [row] = [r for r in rows if re.search(rf"`{re.escape(name)}[ `]", r)][:1]
        if f"`{name} [OPTIONS]`" in row:
            continue
        command = cli
        for word in path:
            assert isinstance(command, click.Group)
            command = command.commands[word]
        for option in command.params:
            if (
                not isinstance(option, click.Option)
                or "--db" in option.opts
                or option.name == "help"
            ):
                continue
            names = [*option.opts, *option.secondary_opts]
            # A whole option: --platform is not found inside --platforms, nor -n in --notebook.
            found = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", row)]
            assert found, f"{name}: {names[0]} not in its README row"


def test_every_job_type_and_config_key_is_documented() -> None:
    """Each job type and each key of its seeded configuration appears in the job reference."""
    migrations = "\n".join(
        p.read_text() for p in sorted((ROOT / "pipeline/store/migrations").glob("*.sql"))
    )
    jobs = README.split("## Jobs", 1)[1]
    for job_type in JobType:
        assert f"`{job_type.value}`" in jobs
    for key in set(re.findall(r'"([a-z_]+)":', migrations)) - {"timeout_seconds"}:
        assert f"`{key}`" in jobs, f"config key {key} undocumented"
