"""Settings from the environment, and logging: redaction, JSON lines or console."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pipeline.config import DEFAULT_DB_PATH, DEFAULT_PLATFORM, DEFAULT_RIOT_API_BASE, Settings
from pipeline.errors import ConfigError
from pipeline.log import (
    REDACTED,
    configure_logging,
    get_logger,
    holds_secret,
    make_redactor,
    redact_text,
)

KEY = "RGAPI-00000000-1111-2222-3333-444444444444"


def test_settings_defaults_without_environment() -> None:
    """An empty environment gives the documented defaults and no key."""
    settings = Settings.from_env({})
    assert (settings.db_path, settings.riot_api_base, settings.platform) == (
        DEFAULT_DB_PATH,
        DEFAULT_RIOT_API_BASE,
        DEFAULT_PLATFORM,
    )
    assert settings.riot_api_key is None


def test_settings_read_every_variable() -> None:
    """Each SMURF_*/RIOT_* variable sets its field, cleaned up."""
    settings = Settings.from_env(
        {
            "SMURF_DB": "/tmp/x.duckdb",
            "RIOT_API_KEY": f" {KEY}\n",
            "RIOT_API_BASE": "http://127.0.0.1:8000/{route}",
            "SMURF_PLATFORM": " NA1 ",
            "SMURF_LOCK_TIMEOUT_S": "2.5",
        }
    )
    assert settings == Settings(
        db_path=Path("/tmp/x.duckdb"),
        riot_api_key=KEY,
        riot_api_base="http://127.0.0.1:8000/{route}",
        platform="na1",
        lock_timeout_s=2.5,
    )


def test_cli_overrides_win_over_environment_and_none_is_ignored() -> None:
    """Non-None overrides replace environment values; None leaves them."""
    settings = Settings.from_env(
        {"SMURF_DB": "env.duckdb", "SMURF_PLATFORM": "kr"}, db_path="cli.duckdb", platform=None
    )
    assert (settings.db_path, settings.platform) == (Path("cli.duckdb"), "kr")


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"RIOT_API_BASE": "https://example.com"}, "{route}"),
        ({"RIOT_API_BASE": "http://127.0.0.1:99999/{route}"}, "RIOT_API_BASE is not a usable URL"),
        ({"RIOT_API_BASE": "http://[::1/{route}"}, "RIOT_API_BASE is not a usable URL"),
        (
            {"RIOT_API_BASE": "http://127.0.0.1:8791/{route}?api_key=RGAPI-x"},
            "must not carry a query",
        ),
        ({"RIOT_API_BASE": "http://127.0.0.1:8791/{route}#top"}, "must not carry a query"),
        ({"SMURF_LOCK_TIMEOUT_S": "soon"}, "number of seconds"),
        ({"SMURF_LOCK_TIMEOUT_S": "-1"}, "between 0 and 3600 s"),
    ],
)
def test_bad_settings_raise_a_config_error_saying_what_to_fix(
    env: dict[str, str], fragment: str
) -> None:
    """An unusable value raises ConfigError whose message names the problem."""
    with pytest.raises(ConfigError, match=fragment.replace("{", r"\{").replace("}", r"\}")):
        Settings.from_env(env)


def test_the_key_is_not_in_the_settings_repr() -> None:
    """repr(Settings) never shows the API key."""
    assert KEY not in repr(Settings(riot_api_key=KEY))


def test_redactor_replaces_the_key_in_nested_values() -> None:
    """The redaction processor finds the key inside strings, dicts, lists and tuples."""
    redact = make_redactor([KEY, None, ""])
    event = {
        "event": f"calling with {KEY}",
        "headers": {"X-Riot-Token": KEY, "n": 3},
        "urls": [f"https://x/?api_key={KEY}", ("a", KEY)],
    }
    assert redact(None, "info", event) == {
        "event": f"calling with {REDACTED}",
        "headers": {"X-Riot-Token": REDACTED, "n": 3},
        "urls": [f"https://x/?api_key={REDACTED}", ("a", REDACTED)],
    }


@pytest.mark.parametrize(
    ("base", "shown"),
    [
        (f"http://{KEY}@127.0.0.1:1/{{route}}", "http://***@127.0.0.1:1/{route}"),
        ("http://smurf:hunter2@127.0.0.1/{route}", "http://***@127.0.0.1/{route}"),
        ("https://u:p@ss@{route}.x.com", "https://***@{route}.x.com"),  # an @ in the password
        ("https://{route}.api.riotgames.com/a@b", "https://{route}.api.riotgames.com/a@b"),
    ],
)
def test_a_message_shows_the_base_url_without_the_key_or_credentials(base: str, shown: str) -> None:
    """RIOT_API_BASE as a message shows it (an execution's error): neither the key written
    into it nor a URL's user and password, and a path's @ left alone."""
    settings = Settings(riot_api_key=KEY, riot_api_base=base)
    assert settings.shown_api_base == shown
    assert redact_text(f"is RIOT_API_BASE ({base}) reachable?", [KEY]) == (
        f"is RIOT_API_BASE ({shown}) reachable?"
    )


@pytest.mark.parametrize("key", [KEY, ""])
@pytest.mark.parametrize("tail", [f"?api_key={KEY}", f"?{KEY}", f"#api_key={KEY}"])
def test_a_key_written_into_the_base_url_is_refused_without_showing_it(key: str, tail: str) -> None:
    """A query or fragment in RIOT_API_BASE (a key as ?api_key=...) is refused before any
    request, and the refusal shows the URL without it, whether or not RIOT_API_KEY holds
    the key."""
    with pytest.raises(ConfigError) as refused:
        Settings(riot_api_key=key, riot_api_base=f"http://127.0.0.1/{{route}}{tail}")
    assert f"http://127.0.0.1/{{route}}{tail[0]}***" in str(refused.value)
    assert KEY not in str(refused.value)


def test_log_lines_hide_a_urls_user_and_password() -> None:
    """A logged error that quotes a URL with credentials (an exception's text) shows neither
    the user nor the password, with or without a key to redact."""
    for secrets in ([KEY], []):
        redact = make_redactor(secrets)
        event = {"event": "job.failed", "error": "ConnectError: http://smurf:hun@ter2@h:1/x"}
        assert redact(None, "error", event)["error"] == "ConnectError: http://***@h:1/x"


RIOT_SHAPED = "RGAPI-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


@pytest.mark.parametrize(
    "written",
    [
        RIOT_SHAPED,
        RIOT_SHAPED.lower(),
        RIOT_SHAPED.replace("RGAPI", "RGApi"),
        RIOT_SHAPED.replace("-", "%2D"),
    ],
)
def test_anything_shaped_like_a_riot_key_is_hidden_though_no_key_is_set(written: str) -> None:
    """A Riot key nobody configured (RIOT_API_KEY unset, the key in a proxy's path of
    RIOT_API_BASE) is hidden from log lines, messages and the base URL shown."""
    base = f"http://127.0.0.1:1/{written}/{{route}}"
    assert Settings(riot_api_key="", riot_api_base=base).shown_api_base == (
        "http://127.0.0.1:1/***/{route}"
    )
    assert (
        redact_text(f"ConnectError: {base}", []) == "ConnectError: http://127.0.0.1:1/***/{route}"
    )
    out = io.StringIO()
    configure_logging(secrets=[], json_lines=True, stream=out)
    get_logger("test").error("failed", url=base, exc_info=ValueError(f"at {base}"))
    assert written not in out.getvalue()
    assert out.getvalue().count(REDACTED) == 2
    assert holds_secret(f"label={written}", None)
    assert not holds_secret("label=RGAPI-not-a-key", None)


def test_short_secrets_are_not_used_for_redaction() -> None:
    """A secret too short to be a key is ignored, so ordinary words survive."""
    redact = make_redactor(["abc"])
    assert redact(None, "info", {"event": "abc"}) == {"event": "abc"}


def test_json_lines_redact_the_key_in_messages_and_exceptions() -> None:
    """Rendered JSON lines never contain the key, from fields or from exception text."""
    out = io.StringIO()
    configure_logging(secrets=[KEY], json_lines=True, stream=out)
    log = get_logger("test")
    log.info("request", url=f"https://x/?api_key={KEY}", nested={"k": [KEY]})
    log.error("failed", exc_info=ValueError(f"bad key {KEY}"))
    try:
        raise RuntimeError(f"raised with {KEY}")
    except RuntimeError:
        log.exception("crashed")
    text = out.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert KEY not in text
    assert [line["event"] for line in lines] == ["request", "failed", "crashed"]
    assert lines[0]["nested"] == {"k": [REDACTED]}
    assert lines[1]["error"] == f"ValueError: bad key {REDACTED}"
    assert REDACTED in lines[2]["error"]


def test_console_rendering_redacts_exception_tracebacks() -> None:
    """The console renderer shows no key, even in a traceback of the active exception."""
    out = io.StringIO()
    configure_logging(secrets=[KEY], json_lines=False, stream=out)
    try:
        raise RuntimeError(f"raised with {KEY}")
    except RuntimeError:
        get_logger("test").exception("crashed")
    text = out.getvalue()
    assert "crashed" in text
    assert KEY not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_json_lines_are_the_default_off_a_terminal() -> None:
    """Without a choice, a stream that is not a terminal gets JSON lines."""
    out = io.StringIO()
    configure_logging(stream=out)
    get_logger("test", job="x").info("hello", n=1)
    line = json.loads(out.getvalue())
    assert (line["event"], line["n"], line["job"], line["level"]) == ("hello", 1, "x", "info")
    assert line["logger_name"] == "test" and "timestamp" in line


def test_level_filters_lower_events() -> None:
    """Events below the configured level are dropped."""
    out = io.StringIO()
    configure_logging(json_lines=True, level="warning", stream=out)
    get_logger().info("quiet")
    get_logger().warning("loud")
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["loud"]
