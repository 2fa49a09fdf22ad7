"""A run's worker thread gets the caller's context variables, never the caller's event loop."""

from __future__ import annotations

import asyncio
import contextvars

from jupyter_core.utils import run_sync

from pipeline.jobs.executions import LiveRun
from pipeline.jobs.worker_threads import RunThreads

held_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "held_loop", default=None
)
job_name: contextvars.ContextVar[str] = contextvars.ContextVar("job_name", default="")


def threads() -> RunThreads:
    return RunThreads(LiveRun("worker-test", execution_id=1, config_id=1))


def test_a_worker_keeps_the_callers_variables_but_not_its_loop() -> None:
    async def scenario() -> tuple[asyncio.AbstractEventLoop | None, str]:
        held_loop.set(asyncio.get_running_loop())
        job_name.set("NOTEBOOK_REPORT")
        return await threads().run(lambda: (held_loop.get(), job_name.get()))

    assert asyncio.run(scenario()) == (None, "NOTEBOOK_REPORT")


async def _loop_of_a_slow_coroutine() -> asyncio.AbstractEventLoop:
    await asyncio.sleep(0.5)  # long enough for the two runs below to overlap
    return asyncio.get_running_loop()


def test_two_reports_at_once_after_the_starting_thread_ran_a_notebook() -> None:
    """papermill drives its kernel through jupyter_core's ``run_sync``, which remembers its
    loop in a context variable. Once this thread has run one (as ``smurf report`` or the demo
    does), two runs in workers must still each drive a loop of their own."""
    own = run_sync(_loop_of_a_slow_coroutine)()

    async def scenario() -> list[asyncio.AbstractEventLoop]:
        work = threads()
        runs = [work.run(run_sync(_loop_of_a_slow_coroutine)) for _ in range(2)]
        return list(await asyncio.gather(*runs))

    first, second = asyncio.run(scenario())
    assert own not in (first, second)
    assert first is not second
