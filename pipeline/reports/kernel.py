"""The kernel a report runs in: this interpreter, without the product's secrets.

Notebooks import ``pipeline``, so the kernel must be this very interpreter, even when a
``python3`` kernelspec of another Python is installed for the user (it would win the
lookup). And the kernel is a child process that would inherit the whole environment, the
Riot API key included; notebooks never need the key (they only read the database), so it
is removed before launch and can never be printed into a report: the key, the API's base
URL (it may carry a user and password), the scheduler API's token, and any variable whose
value holds the key.

The kernel's own stderr (ipykernel's log, a crash's last words) goes to a file of the run
(``KernelWatch``), not to the terminal or the scheduler's log: a report stopped mid-cell
made ipykernel print a traceback there. A run whose kernel died reads it back, with the
process's exit status, to say why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from typing import Any, ClassVar

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from pipeline.log import holds_secret
from pipeline.reports.stopping import ReportStop

# Environment variables a report kernel must never see.
SECRET_ENV_VARS = frozenset({"RIOT_API_KEY", "RIOT_API_BASE", "SMURF_API_TOKEN"})


def scrubbed_environment(env: dict[str, str]) -> dict[str, str]:
    """A copy of ``env`` without the variables that hold secrets, nor any whose value holds
    the API key."""
    key = env.get("RIOT_API_KEY")
    return {
        name: value
        for name, value in env.items()
        if name not in SECRET_ENV_VARS and not holds_secret(value, key)
    }


class KernelWatch:
    """One run's kernel process: its stderr, kept in a file, and how it ended."""

    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  # closed by close(), after the run
        self.process: subprocess.Popen[bytes] | None = None

    def ended(self) -> str:
        """How the kernel process ended, in words ("" while it runs or if unknown)."""
        code = self.process.poll() if self.process is not None else None
        if code is None:
            return ""
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else "?"
            why = "; most often the system, out of memory" if -code == signal.SIGKILL else ""
            return f"was killed by signal {-code} ({name}{why})"
        return f"exited with status {code}"

    def last_words(self, lines: int = 5, width: int = 600) -> str:
        """The end of what the kernel wrote to stderr, on one line."""
        self.stderr.flush()
        self.stderr.seek(max(self.stderr.seek(0, os.SEEK_END) - 8192, 0))
        said = self.stderr.read().decode("utf-8", "replace").splitlines()
        tail = " | ".join(line.strip() for line in said[-lines:] if line.strip())
        return tail if len(tail) <= width else "..." + tail[-width:]

    def close(self) -> None:
        self.stderr.close()


class ReportKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """Starts report kernels with the secrets removed from their environment."""

    # The run's stop request, told the kernel's process once it is up (``for_run``).
    stop: ClassVar[ReportStop | None] = None
    # Where the run's kernel writes its stderr, and its process once started.
    watch: ClassVar[KernelWatch | None] = None

    @classmethod
    def for_run(
        cls, stop: ReportStop | None, watch: KernelWatch | None
    ) -> type[ReportKernelManager]:
        """This manager for one run, which ``stop`` can interrupt and ``watch`` follows
        (nbclient takes a class, and makes its instance itself)."""
        return type(cls.__name__, (cls,), {"stop": stop, "watch": watch})

    @default("transport_encryption")
    def _encrypt_when_the_kernel_can(self) -> str:
        # CurveZMQ between the runner and its kernel whenever the kernelspec supports it
        # (ipykernel's does): a report's data never crosses loopback in plain text.
        return "auto"

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd: list[str] = super().format_kernel_cmd(extra_arguments)
        if any("ipykernel" in part for part in cmd[1:3]):
            cmd[0] = sys.executable
            # What the process writes to its file descriptor 2 (a crash's report, a native
            # library) goes straight to the run's file: captured, ipykernel copies it there
            # from a thread of its own, which dies with the process before the last words.
            # A cell's own prints still reach the notebook (Python's sys.stdout/stderr).
            cmd.append("--IPKernelApp.capture_fd_output=False")
        return cmd

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        # The launcher would default to os.environ; give it the scrubbed copy instead.
        kw["env"] = scrubbed_environment(dict(kw.get("env") or os.environ))
        if self.watch is not None:
            kw["stderr"] = self.watch.stderr
        return await super()._async_pre_start_kernel(**kw)

    async def shutdown_kernel(  # type: ignore[override]  # async in AsyncKernelManager
        self, now: bool = False, restart: bool = False
    ) -> None:
        # nbclient calls this name (the async class binds it to the base's function).
        if self.stop is not None:
            self.stop.kernel_stopping()
        await super().shutdown_kernel(now=now, restart=restart)

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts every kernel before asking it to shut down, to stop code
        # still running. A report's kernel is done by then (its cells ran, or the run was
        # stopped by its own interrupt), and ipykernel answers an interrupt that finds it
        # idle with "ERROR | KeyboardInterrupt caught in kernel" on the terminal, now and
        # then, after a report that went well. A kernel still busy is killed after the
        # shutdown wait instead.
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_post_start_kernel(self, **kw: Any) -> None:
        await super()._async_post_start_kernel(**kw)
        if self.watch is not None:
            self.watch.process = getattr(self.provisioner, "process", None)
        if self.stop is not None:
            self.stop.kernel_started(getattr(self.provisioner, "pid", None))
