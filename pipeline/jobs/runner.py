"""Running jobs outside the scheduler's timetable, and the checks every run start shares."""

from __future__ import annotations

import asyncio
import os

from pipeline.jobs.base import ExecutionOutcome, JobContext, set_process_context
from pipeline.jobs.errors import JobAlreadyRunningError, JobInactiveError, UnknownJobError
from pipeline.jobs.registry import job_for
from pipeline.jobs.types import Trigger
from pipeline.store import Database
from pipeline.store import job_records as records

ORPHAN_MESSAGE = (
    "The process running this job (pid {pid}) ended before the run finished; "
    "closed when the scheduler started. Work committed before then is kept."
)


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this pid exists on this machine."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_execution_id(db: Database, config_id: int) -> int | None:
    """The id of this job's unfinished execution whose process is still alive, if any."""
    with db.read() as con:
        unfinished = records.unfinished_executions(con)
    for execution_id, job_config_id, pid in unfinished:
        if job_config_id == config_id and (pid is None or pid_alive(pid)):
            return execution_id
    return None


def close_orphans(db: Database) -> list[int]:
    """Close unfinished executions whose process is gone; returns their ids."""
    with db.write() as con:
        orphans = [
            (execution_id, pid)
            for execution_id, _, pid in records.unfinished_executions(con)
            if pid != os.getpid() and not pid_alive(pid)
        ]
        for execution_id, pid in orphans:
            records.close_executions(
                con, [execution_id], ORPHAN_MESSAGE.format(pid=pid if pid else "unknown")
            )
    return [execution_id for execution_id, _ in orphans]


def resolve_configs(db: Database, id_or_type: str) -> list[records.JobConfiguration]:
    with db.read() as con:
        found = records.find_job_configs(con, id_or_type)
    if not found:
        raise UnknownJobError(
            f"No job matches {id_or_type!r}: give a job id or a type such as MATCH_FETCHER "
            "(see `smurf jobs list`)."
        )
    return found


def check_can_start(db: Database, config: records.JobConfiguration) -> None:
    if not config.is_active:
        raise JobInactiveError(
            f"Job {config.id} ({config.name}) is disabled: `smurf jobs enable {config.id}` first."
        )
    running = live_execution_id(db, config.id)
    if running is not None:
        raise JobAlreadyRunningError(
            f"Job {config.id} ({config.name}) is already running as execution {running}."
        )


async def run_in_process(
    context: JobContext, id_or_type: str, trigger: Trigger = Trigger.MANUAL
) -> list[ExecutionOutcome]:
    """Run the matching job(s) once, here and now, one after the other."""
    set_process_context(context)
    db = context.db
    configs = await asyncio.to_thread(resolve_configs, db, id_or_type)
    outcomes = []
    for config in configs:
        await asyncio.to_thread(check_can_start, db, config)
        outcomes.append(await job_for(config.job_type, config.id, context).run(trigger))
    return outcomes
