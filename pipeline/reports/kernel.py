"""The kernel a report runs in: this interpreter, without the product's secrets.

The kernel is a child process and would inherit the whole environment, the Riot API key
included. Notebooks never need the key (they only read the database), so it is removed
from the kernel's environment before launch; it can then never be printed into a report.
"""

from __future__ import annotations

import os
from typing import Any

from jupyter_client.manager import AsyncKernelManager

# Environment variables a report kernel must never see.
SECRET_ENV_VARS = frozenset({"RIOT_API_KEY"})

# ipykernel installs this kernelspec; jupyter_client starts it with sys.executable.
KERNEL_NAME = "python3"


def scrubbed_environment(env: dict[str, str]) -> dict[str, str]:
    """A copy of ``env`` without the variables that hold secrets."""
    return {name: value for name, value in env.items() if name not in SECRET_ENV_VARS}


class ReportKernelManager(AsyncKernelManager):  # type: ignore[misc]
    """Starts report kernels with the secrets removed from their environment."""

    async def _async_pre_start_kernel(self, **kw: Any) -> Any:
        # The launcher would default to os.environ; give it the scrubbed copy instead.
        kw["env"] = scrubbed_environment(dict(kw.get("env") or os.environ))
        return await super()._async_pre_start_kernel(**kw)
