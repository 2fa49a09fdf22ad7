"""The kernel a report runs in: this interpreter, without the product's secrets.

Notebooks import ``pipeline``, so the kernel must be this very interpreter, even when a
``python3`` kernelspec of another Python is installed for the user (it would win the
lookup). And the kernel is a child process that would inherit the whole environment, the
Riot API key included; notebooks never need the key (they only read the database), so it
is removed before launch and can never be printed into a report.
"""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar

from jupyter_client.manager import AsyncKernelManager
from traitlets import default

from pipeline.reports.stopping import ReportStop

# Environment variables a report kernel must never see.
SECRET_ENV_VARS = frozenset({"RIOT_API_KEY"})


def scrubbed_environment(env: dict[str, str]) -> dict[str, str]:
    """A copy of ``env`` without the variables that hold secrets."""
    return {name: value for name, value in env.items() if name not in SECRET_ENV_VARS}


class ReportKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """Starts report kernels with the secrets removed from their environment."""

    # The run's stop request (``stoppable``), told the kernel's process once it is up.
    stop: ClassVar[ReportStop | None] = None

    @classmethod
    def stoppable(cls, stop: ReportStop) -> type[ReportKernelManager]:
        """This manager for one run that ``stop`` can interrupt (nbclient takes a class)."""
        return type(cls.__name__, (cls,), {"stop": stop})

    @default("transport_encryption")
    def _encrypt_when_the_kernel_can(self) -> str:
        # CurveZMQ between the runner and its kernel whenever the kernelspec supports it
        # (ipykernel's does): a report's data never crosses loopback in plain text.
        return "auto"

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd: list[str] = super().format_kernel_cmd(extra_arguments)
        if any("ipykernel" in part for part in cmd[1:3]):
            cmd[0] = sys.executable
        return cmd

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        # The launcher would default to os.environ; give it the scrubbed copy instead.
        kw["env"] = scrubbed_environment(dict(kw.get("env") or os.environ))
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
        if self.stop is not None:
            self.stop.kernel_started(getattr(self.provisioner, "pid", None))
