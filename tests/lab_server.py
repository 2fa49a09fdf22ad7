"""`smurf lab` as a real server for tests: started on a free port with a known token,
waited for, and stopped (with everything it printed kept for assertions)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pipeline.simulator.server import free_port

TOKEN = "lab-test"


@dataclass
class Lab:
    """A running `smurf lab`: where it answers, and what it printed once stopped."""

    port: int
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, path: str) -> object:
        """GET ``/api/...`` or ``/lab/api/...`` with the token; the decoded JSON."""
        headers = {"Authorization": f"token {TOKEN}"}
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=10).json()


@contextmanager
def running_lab(
    db: Path, work_dir: Path, *jupyter_args: str, env: dict[str, str] | None = None
) -> Iterator[Lab]:
    """`smurf --db DB lab --dir WORK_DIR --no-browser` on a free port until the block ends.

    JupyterLab keeps its workspaces and user settings under ``work_dir`` too, so a test
    neither reads nor changes the ones in the home folder.
    """
    lab = Lab(free_port())
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "--db",
            str(db),
            "lab",
            "--dir",
            str(work_dir),
            "--no-browser",
            f"--ServerApp.port={lab.port}",
            f"--IdentityProvider.token={TOKEN}",
            f"--LabApp.workspaces_dir={work_dir / '.workspaces'}",
            f"--LabApp.user_settings_dir={work_dir / '.settings'}",
            *jupyter_args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env if env is not None else dict(os.environ),
    )
    try:
        _wait_until_serving(lab, server)
        yield lab
    finally:
        server.terminate()
        try:
            lab.output.append(server.communicate(timeout=30)[0].decode())
        except subprocess.TimeoutExpired:
            server.kill()
            lab.output.append(server.communicate()[0].decode())


def _wait_until_serving(lab: Lab, server: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"smurf lab exited with {server.returncode}")
        try:
            lab.api("/api/status")
            return
        except httpx.TransportError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer within {timeout_s:.0f} s")
