"""Running jobs outside the scheduler's timetable: `smurf run`, the demo, tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from pipeline.errors import shorten
from pipeline.jobs.base import ExecutionOutcome, JobContext, set_process_context
from pipeline.jobs.errors import UnknownJobError
from pipeline.jobs.registry import job_for
from pipeline.jobs.types import Trigger
from pipeline.store import Database, check_schema
from pipeline.store import job_records as records


def resolve_configs(db: Database, id_or_type: str) -> list[records.JobConfiguration]:
    """The configurations a job id or type names (the schema checked in the same read)."""
    with db.read() as con:
        check_schema(con, db.path)
        found = records.find_job_configs(con, id_or_type)
    if not found:
        raise UnknownJobError(
            f"No job matches {shorten(id_or_type)}: give a job id or a type such as MATCH_FETCHER "
            "(see `smurf jobs list`)."
        )
    return found


async def run_configs(
    context: JobContext,
    configs: Sequence[records.JobConfiguration],
    trigger: Trigger = Trigger.MANUAL,
) -> list[ExecutionOutcome]:
    """Run each configuration once, here and now, one after the other."""
    set_process_context(context)
    return [await job_for(config.job_type, config.id, context).run(trigger) for config in configs]


async def run_in_process(
    context: JobContext, id_or_type: str, trigger: Trigger = Trigger.MANUAL
) -> list[ExecutionOutcome]:
    """Run the matching job(s) once, here and now, one after the other."""
    configs = await asyncio.to_thread(resolve_configs, context.db, id_or_type)
    return await run_configs(context, configs, trigger)
