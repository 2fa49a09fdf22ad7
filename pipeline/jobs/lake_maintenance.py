"""LAKE_MAINTENANCE: keep a lake's storage healthy (no API calls; a DuckDB file needs none).

DuckLake never rewrites or deletes a file by itself: every commit adds small files, updates
add delete files, and replaced files stay for as long as a snapshot needs them. Each run
rewrites files with many deleted rows, merges small files, expires old snapshots and deletes
the files nothing needs any more.

Config: ``rewrite_delete_threshold`` (0..1), ``expire_snapshots_after_hours``,
``delete_files_after_hours``, ``timeout_seconds``. Metrics: ``records_updated`` counts data
files rewritten or merged, ``records_created`` the files written; the execution's details
hold the whole report.
"""

from __future__ import annotations

import asyncio
import dataclasses

from pipeline.jobs.base import BaseJob
from pipeline.jobs.settings import LakeMaintenanceSettings
from pipeline.jobs.types import JobType
from pipeline.log import get_logger
from pipeline.store import Database
from pipeline.store.lake_admin import MaintenancePlan, maintain
from pipeline.store.location import LakeLocation

log = get_logger(__name__)


class LakeMaintenance(BaseJob):
    job_type = JobType.LAKE_MAINTENANCE
    uses_riot_api = False

    settings_model = LakeMaintenanceSettings
    settings: LakeMaintenanceSettings

    def _load_configuration(self) -> None:
        super()._load_configuration()
        self.plan = MaintenancePlan(
            rewrite_delete_threshold=self.settings.rewrite_delete_threshold,
            expire_snapshots_after_hours=self.settings.expire_snapshots_after_hours,
            delete_files_after_hours=self.settings.delete_files_after_hours,
        )

    async def execute(self, db: Database) -> None:
        if not isinstance(db.path, LakeLocation):
            self.details = {"skipped": "a DuckDB file needs no maintenance"}
            log.info("lake_maintenance.not_a_lake")
            return
        report = await asyncio.to_thread(maintain, db.path, self.plan, timeout_s=db.lock_timeout_s)
        self.increment_metric("records_updated", report.files_rewritten + report.files_merged)
        self.increment_metric("records_created", report.files_written)
        self.details = dataclasses.asdict(report)
        log.info("lake_maintenance.done", **self.details)
