"""Fuzz the monitoring API from its own OpenAPI description: no input makes it answer 500.

Requests are generated with Hypothesis for every operation that ``GET /openapi.json``
documents: path and query parameters get values that fit their schema and values that do
not (out of range, negative, huge, text, unicode digits, empty). The API serves a running
scheduler over a database that holds executions and log lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.api import create_api
from pipeline.config import Settings
from pipeline.jobs import JobContext, JobScheduler
from pipeline.store import Database, migrate

EXAMPLES_PER_OPERATION = 40
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="/?#"), max_size=30)
NUMBER_TEXT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", " 1", "1_0", "٣", "1e3", "0x10", "NaN", "-0", "9" * 5000]),
)


@dataclass
class LiveAPI:
    """The API of a started scheduler, driven from synchronous test code."""

    loop: asyncio.AbstractEventLoop
    scheduler: JobScheduler
    client: httpx.AsyncClient
    spec: dict[str, Any]
    statuses: dict[int, int]

    def request(self, method: str, url: str, params: dict[str, str]) -> httpx.Response:
        response = self.loop.run_until_complete(self.client.request(method, url, params=params))
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        return response


def seed_executions(db_path: Path) -> None:
    """Executions in every status, with log lines, and one job left active (no API calls)."""
    with Database(db_path).write() as con:
        con.execute("UPDATE job_configurations SET is_active = job_type = 'SMURF_ANALYZER'")
        for i, status in enumerate(["SUCCESS", "FAILED", "RATE_LIMITED", "SUCCESS"] * 5):
            con.execute(
                "INSERT INTO job_executions (job_config_id, job_type, status, correlation_id,"
                " error_message, details) VALUES (1, 'TRACKED_PLAYER_UPDATER', ?, ?, ?, ?)",
                [status, f"c{i}", "boom" if status == "FAILED" else None, '{"k": [1, 2]}'],
            )
        con.execute(
            "INSERT INTO job_execution_logs VALUES (1, 0, now()::TIMESTAMP, 'info', 'job.started',"
            " '{\"a\": 1}'), (1, 1, now()::TIMESTAMP, 'error', 'job.failed', NULL)"
        )


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveAPI]:
    db_path = tmp_path_factory.mktemp("fuzz") / "smurf.duckdb"
    migrate(db_path)
    seed_executions(db_path)
    loop = asyncio.new_event_loop()
    context = JobContext(Settings(db_path=db_path, riot_api_base="http://127.0.0.1:9/{route}"))
    scheduler = JobScheduler(context, sync_interval_s=3600)
    loop.run_until_complete(scheduler.start())
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_api(scheduler)), base_url="http://127.0.0.1"
    )
    spec = loop.run_until_complete(client.get("/openapi.json")).json()
    live = LiveAPI(loop, scheduler, client, spec, {})
    try:
        yield live
    finally:
        if scheduler.running:
            loop.run_until_complete(asyncio.gather(*scheduler.running.values()))
        loop.run_until_complete(scheduler.stop())
        loop.run_until_complete(client.aclose())
        loop.close()


def value_for(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Strings for one parameter: mostly fitting its schema, often not."""
    if "enum" in schema:
        fitting: st.SearchStrategy[str] = st.sampled_from(schema["enum"])
        return st.one_of(fitting, fitting.map(str.lower), ANY_TEXT)
    schema = next(iter(schema.get("anyOf", [])), schema) if "anyOf" in schema else schema
    if "$ref" in schema:
        return st.one_of(st.sampled_from(["SUCCESS", "FAILED", "RUNNING"]), ANY_TEXT)
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", -5), schema.get("maximum", 10**6)
        fitting = st.integers(min_value=low, max_value=high).map(str)
        return st.one_of(fitting, NUMBER_TEXT)
    return ANY_TEXT


def operations() -> list[tuple[str, str]]:
    """Every operation the generated OpenAPI description documents."""
    scheduler = JobScheduler(JobContext(Settings(db_path=Path("unused.duckdb"))))
    spec = create_api(scheduler).openapi()
    return [(path, method) for path, item in spec["paths"].items() for method in item]


@pytest.mark.parametrize(("path", "method"), operations())
def test_no_generated_request_gets_a_server_error(api: LiveAPI, path: str, method: str) -> None:
    """Every documented operation answers 2xx or 4xx JSON to any values of its parameters."""
    operation = api.spec["paths"][path][method]
    params = operation.get("parameters", [])
    strategies = {
        p["name"]: (
            value_for(p["schema"]) if p.get("required") else st.none() | value_for(p["schema"])
        )
        for p in params
    }

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.fixed_dictionaries(strategies))
    def check(values: dict[str, str | None]) -> None:
        url = path
        query: dict[str, str] = {}
        for p in params:
            value = values[p["name"]]
            if p["in"] == "path":
                url = url.replace("{" + p["name"] + "}", quote(str(value), safe="") or "0")
            elif value is not None:
                query[p["name"]] = value
        response = api.request(method.upper(), url, query)
        assert response.status_code < 500, (url, query, response.text)
        assert response.status_code in {int(c) for c in operation["responses"]} | {404, 405}
        body = response.json()
        assert isinstance(body, dict)
        if response.status_code >= 400:
            assert body["error"]

    check()


def test_the_description_documents_every_route(api: LiveAPI) -> None:
    """Each route the API serves appears in its OpenAPI description, so the fuzz covers it."""
    served = {getattr(route, "path", "") for route in create_api(api.scheduler).routes}
    served.discard("/openapi.json")
    assert served == set(api.spec["paths"])
    assert len(served) == 5


def test_the_description_documents_the_statuses_the_api_answers(api: LiveAPI) -> None:
    """A parameter that does not fit is answered 400 (query) or 404 (path), never 422: the
    description says so, and says every request may be refused as untrusted."""
    for path, item in api.spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            where = {p["in"] for p in operation.get("parameters", [])}
            assert "422" not in codes, (method, path)
            assert {"401", "403", "503"} <= codes, (method, path)
            assert ("query" not in where) or "400" in codes, (method, path)
            assert ("path" not in where) or "404" in codes, (method, path)
    assert "HTTPValidationError" not in api.spec["components"]["schemas"]


def test_a_query_parameter_given_twice_is_refused(api: LiveAPI) -> None:
    """`?status=FAILED&status=SUCCESS` is not read as its last value: it is refused."""
    twice = api.loop.run_until_complete(
        api.client.get("/api/v1/jobs/1/executions?status=FAILED&limit=5&status=SUCCESS")
    )
    assert twice.status_code == 400
    assert twice.json()["error"] == "The status parameter is given 2 times; give it once."
    once = api.request("GET", "/api/v1/jobs/1/executions", {"status": "FAILED", "limit": "5"})
    assert once.status_code == 200
    assert {row["status"] for row in once.json()["executions"]} <= {"FAILED"}
    # Parameters an operation does not take are ignored, repeated or not.
    other = api.loop.run_until_complete(api.client.get("/api/v1/jobs?x=1&x=2"))
    assert other.status_code == 200
