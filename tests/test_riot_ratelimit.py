"""Rate-limit headers and window maths, on a simulated clock (no sleeping, no I/O)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.riot.limiter import RateLimiter, Ticket
from pipeline.riot.ratelimit import (
    Bucket,
    Window,
    _Others,
    parse_counts,
    parse_limits,
    parse_retry_after_s,
)


@pytest.mark.parametrize(
    ("header", "windows"),
    [
        ("20:1,100:120", (Window(20, 1.0), Window(100, 120.0))),
        ("500:10", (Window(500, 10.0),)),
        (" 20:1 , 100:120 ", (Window(20, 1.0), Window(100, 120.0))),
        ("", ()),
        (None, ()),
        ("garbage", ()),
        ("20:1,x:y,100:120", (Window(20, 1.0), Window(100, 120.0))),
        ("0:1,-5:10,5:0", ()),
        ("30:0.5", (Window(30, 0.5),)),
    ],
)
def test_parse_limits(header: str | None, windows: tuple[Window, ...]) -> None:
    """A limit header becomes its windows; unreadable entries are skipped, never fatal."""
    assert windows == parse_limits(header)


@pytest.mark.parametrize(
    ("header", "counts"),
    [
        ("3:1,41:120", {1.0: 3, 120.0: 41}),
        ("0:1", {1.0: 0}),
        ("", {}),
        (None, {}),
        ("1:1,oops", {1.0: 1}),
    ],
)
def test_parse_counts(header: str | None, counts: dict[float, int]) -> None:
    """A count header becomes counts keyed by window span."""
    assert counts == parse_counts(header)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), (" 10 ", 10.0), ("0.5", 0.5), (None, None), ("soon", None), ("-1", None)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    """Retry-After in seconds is read; absent, negative or unreadable values mean None."""
    assert seconds == parse_retry_after_s(header)


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(1, 86400)), max_size=5))
def test_limit_headers_round_trip(pairs: list[tuple[int, int]]) -> None:
    """Any well-formed limit header parses back to the windows it was written from."""
    header = ",".join(f"{n}:{s}" for n, s in pairs)
    assert tuple(Window(n, float(s)) for n, s in pairs) == parse_limits(header)


def _known(windows: str, margin_s: float = 0.0) -> Bucket:
    bucket = Bucket(margin_s=margin_s)
    bucket.windows = parse_limits(windows)
    return bucket


def test_bucket_wait_is_until_oldest_response_leaves_the_window() -> None:
    """A full window frees its first slot one span (plus margin) after its oldest response."""
    bucket = _known("2:10", margin_s=0.5)
    for answered_at in (1.0, 3.0):
        sequence = bucket.reserve(answered_at - 0.1)
        bucket.record_response(sequence=sequence, now=answered_at, limits=None, counts=None)
    assert pytest.approx(11.5 - 4.0) == bucket.wait_s(4.0)
    assert bucket.wait_s(11.5) == 0.0


@pytest.mark.parametrize(("queued", "wait_s"), [(0, 7.5), (1, 8.5), (2, 9.5), (5, 9.5)])
def test_callers_in_line_wait_for_their_own_slot(queued: int, wait_s: float) -> None:
    """Behind n waiting callers, a caller waits for the (n+1)-th slot, at most a window."""
    bucket = _known("3:10")
    for answered_at in (1.0, 2.0, 3.0):
        bucket.record_response(
            sequence=bucket.reserve(answered_at), now=answered_at, limits=None, counts=None
        )
    assert bucket.wait_s(3.5, queued=queued) == pytest.approx(wait_s)


@settings(max_examples=200, deadline=None)
@given(
    limits=st.lists(
        st.tuples(st.integers(1, 20), st.sampled_from([1.0, 3.0, 10.0])),
        min_size=1,
        max_size=3,
        unique_by=lambda p: p[1],
    ),
    answered=st.lists(st.floats(0.0, 20.0), max_size=40),
    in_flight=st.integers(0, 5),
    others=st.lists(st.tuples(st.floats(20.0, 35.0), st.integers(1, 15)), max_size=4),
)
def test_wait_is_exactly_until_a_slot_frees(
    limits: list[tuple[int, float]],
    answered: list[float],
    in_flight: int,
    others: list[tuple[float, int]],
) -> None:
    """After wait_s a request fits every window and a moment before it does not."""
    bucket = _known(",".join(f"{n}:{s:g}" for n, s in limits), margin_s=0.1)
    for t in sorted(answered):
        bucket.record_response(sequence=bucket.reserve(t), now=t, limits=None, counts=None)
    for _ in range(in_flight):
        bucket.reserve(20.0)
    for expires_at, count in sorted(others):
        bucket.others.setdefault(limits[0][1], _Others()).add(expires_at, count)
    now = 20.0
    waits = [bucket.wait_s(now, queued=q) for q in range(4)]
    wait_s = waits[0]

    def fits(at: float) -> bool:
        return all(bucket.used(w, at) < w.limit for w in bucket.windows or ())

    assert waits == sorted(waits)
    # (Checked in time order: a bucket forgets what has expired, as its clock only advances.)
    if wait_s > 1e-6:
        assert not fits(now + wait_s - 1e-6)
    # Requests in flight are never answered here, so their slots stay held; their wait is
    # the earliest they could free, a full window from now.
    if in_flight == 0:
        assert fits(now + wait_s + 1e-6)


def test_bucket_counts_requests_in_flight() -> None:
    """Requests in flight hold slots, and free them no sooner than a full window away."""
    bucket = _known("2:1")
    bucket.reserve(0.0)
    bucket.reserve(0.0)
    assert pytest.approx(1.0) == bucket.wait_s(5.0)


def test_bucket_every_window_binds() -> None:
    """The wait is that of the most restrictive window."""
    bucket = _known("10:1,3:60")
    for t in (0.0, 0.1, 0.2):
        bucket.record_response(sequence=bucket.reserve(0.0), now=t, limits=None, counts=None)
    assert pytest.approx(60.0 - 0.3) == bucket.wait_s(0.3)


def test_server_counts_beyond_ours_hold_slots() -> None:
    """Requests another process made with the key (server count > ours) hold slots too."""
    bucket = _known("20:1")
    bucket.record_response(sequence=bucket.reserve(0.0), now=0.05, limits="20:1", counts="20:1")
    assert pytest.approx(1.0) == bucket.wait_s(0.05)


def test_others_requests_are_the_server_count_less_ours() -> None:
    """Others hold the server's count less every request of ours it could include."""
    bucket = _known("10:1")
    first, _second, _third = bucket.reserve(0.0), bucket.reserve(0.0), bucket.reserve(0.0)
    bucket.record_response(sequence=first, now=0.05, limits=None, counts="7:1")
    assert bucket.used(Window(10, 1.0), 0.05) == 3 + (7 - 3)
    assert bucket.wait_s(1.06) == 0.0


def test_requests_arriving_out_of_order_are_not_taken_for_others() -> None:
    """A count that includes our later requests (they overtook this one) adds nothing."""
    bucket = _known("10:1")
    first, _second, _third = bucket.reserve(0.0), bucket.reserve(0.0), bucket.reserve(0.0)
    bucket.record_response(sequence=first, now=0.05, limits=None, counts="3:1")
    assert bucket.used(Window(10, 1.0), 0.05) == 3


def test_block_after_429() -> None:
    """A bucket blocked by a 429 sends nothing until the block ends."""
    bucket = _known("20:1")
    bucket.block(until=7.0)
    assert pytest.approx(5.0) == bucket.wait_s(2.0)


# A model of Riot's side: fixed windows that open at the first request, per bucket.
@dataclass
class FixedWindowServer:
    windows: tuple[Window, ...]
    external: int = 0  # requests another process already made in the current windows
    starts: dict[float, float] = field(default_factory=dict)
    counts: dict[float, int] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)
    rejected: int = 0

    def arrive(self, at: float) -> dict[str, str]:
        self.arrivals.append(at)
        for w in self.windows:
            if w.span_s not in self.starts or at >= self.starts[w.span_s] + w.span_s:
                self.starts[w.span_s], self.counts[w.span_s] = at, 0
                self.counts[w.span_s] += self.external
            self.counts[w.span_s] += 1
        self.external = 0
        if any(self.counts[w.span_s] > w.limit for w in self.windows):
            self.rejected += 1
        return {
            "X-App-Rate-Limit": ",".join(f"{w.limit}:{w.span_s:g}" for w in self.windows),
            "X-App-Rate-Limit-Count": ",".join(
                f"{self.counts[w.span_s]}:{w.span_s:g}" for w in self.windows
            ),
        }

    def max_in_any_span(self, window: Window) -> int:
        times, most, lo = sorted(self.arrivals), 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - window.span_s:
                lo += 1
            most = max(most, hi - lo + 1)
        return most


def simulate(
    server: FixedWindowServer,
    *,
    workers: int,
    duration_s: float,
    latencies_s: list[float],
    margin_s: float,
) -> FixedWindowServer:
    """Workers send as fast as the limiter lets them, on a simulated clock."""
    now = [0.0]
    limiter = RateLimiter(initial_in_flight=3, clock=lambda: now[0], margin_s=margin_s)
    events: list[tuple[float, int, str, object]] = []
    seq = 0

    def push(at: float, kind: str, payload: object) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(events, (at, seq, kind, payload))

    for _ in range(workers):
        push(0.0, "try", None)
    sent = 0
    while events:
        now[0], _, kind, payload = heapq.heappop(events)
        if kind == "try" and now[0] < duration_s:
            outcome = limiter.try_acquire("host", "m")
            if isinstance(outcome, Ticket):
                latency_s = latencies_s[sent % len(latencies_s)]
                sent += 1
                push(now[0] + latency_s / 2, "arrive", (outcome, latency_s / 2))
            else:
                push(now[0] + max(outcome.seconds, 0.01), "try", None)
        elif kind == "arrive":
            ticket, back_s = payload  # type: ignore[misc]
            push(now[0] + back_s, "respond", (ticket, server.arrive(now[0])))
        elif kind == "respond":
            ticket, headers = payload  # type: ignore[misc]
            limiter.release(ticket, status_code=200, headers=headers)
            push(now[0], "try", None)
    return server


@settings(max_examples=30, deadline=None)
@given(
    limits=st.lists(
        st.tuples(st.integers(3, 30), st.sampled_from([1.0, 2.0, 5.0, 10.0])),
        min_size=1,
        max_size=2,
        unique_by=lambda p: p[1],
    ),
    workers=st.integers(1, 40),
    latencies_ms=st.lists(st.integers(1, 400), min_size=1, max_size=8),
    external=st.integers(0, 20),
)
def test_limiter_never_exceeds_any_window(
    limits: list[tuple[int, float]], workers: int, latencies_ms: list[int], external: int
) -> None:
    """Whatever the limits, latencies, concurrency and others' usage, no window overflows.

    (The limits are at least the 3 requests let out before the first headers.)
    """
    windows = tuple(Window(n, s) for n, s in limits)
    smallest = min(w.limit for w in windows)
    server = FixedWindowServer(windows, external=min(external, smallest - 3))
    simulate(
        server,
        workers=workers,
        duration_s=25.0,
        latencies_s=[ms / 1000 for ms in latencies_ms],
        margin_s=0.0,
    )
    assert server.rejected == 0
    for w in windows:
        assert server.max_in_any_span(w) <= w.limit


def test_limiter_keeps_close_to_the_binding_limit() -> None:
    """With both windows binding, the limiter sends within a few percent of the allowed rate."""
    windows = (Window(50, 1.0), Window(500, 12.0))
    server = FixedWindowServer(windows)
    duration_s = 60.0
    simulate(
        server, workers=30, duration_s=duration_s, latencies_s=[0.03, 0.08, 0.05], margin_s=0.1
    )
    binding_per_s = 500 / 12.0
    assert server.rejected == 0
    assert len(server.arrivals) >= 0.95 * binding_per_s * duration_s


def test_unknown_bucket_allows_only_a_few_in_flight() -> None:
    """Before its first headers arrive, a bucket lets only initial_in_flight requests go."""
    limiter = RateLimiter(initial_in_flight=2, clock=lambda: 0.0)
    outcomes = [limiter.try_acquire("host", "m") for _ in range(3)]
    assert [isinstance(o, Ticket) for o in outcomes] == [True, True, False]


def test_first_headers_lift_the_initial_caution() -> None:
    """Once a response brings the limits, the bucket allows up to them."""
    limiter = RateLimiter(initial_in_flight=1, clock=lambda: 0.0)
    first = limiter.try_acquire("host", "m")
    assert isinstance(first, Ticket)
    headers = {"X-App-Rate-Limit": "5:1", "X-Method-Rate-Limit": "10:1"}
    limiter.release(first, status_code=200, headers=headers)
    outcomes = [limiter.try_acquire("host", "m") for _ in range(5)]
    assert [isinstance(o, Ticket) for o in outcomes] == [True, True, True, True, False]


def test_bucket_opens_once_the_first_requests_are_answered() -> None:
    """After the first headers, a bucket waits for its other early requests' answers."""
    limiter = RateLimiter(initial_in_flight=3, clock=lambda: 0.0)
    early = [limiter.try_acquire("host", "m") for _ in range(3)]
    headers = {"X-App-Rate-Limit": "50:1", "X-Method-Rate-Limit": "50:1"}
    for ticket in early[:2]:
        assert isinstance(ticket, Ticket)
        limiter.release(ticket, status_code=200, headers=headers)
    waiting = limiter.try_acquire("host", "m")
    assert not isinstance(waiting, Ticket) and waiting.until_response
    assert isinstance(early[2], Ticket)
    limiter.release(early[2], status_code=200, headers=headers)
    assert isinstance(limiter.try_acquire("host", "m"), Ticket)


def test_the_sustained_rate_is_the_tightest_stated_window() -> None:
    """Unknown until an answer states the limits; then the tightest window's requests a
    second (100 per 2 minutes binds before 20 a second); a bucket the API does not limit
    is unlimited."""
    limiter = RateLimiter(initial_in_flight=1, clock=lambda: 0.0)
    assert limiter.sustained_rate("host") is None
    first = limiter.try_acquire("host", "m")
    assert isinstance(first, Ticket)
    assert limiter.sustained_rate("host") is None  # asked, not answered yet
    limiter.release(first, status_code=200, headers={"X-App-Rate-Limit": "20:1,100:120"})
    assert limiter.sustained_rate("host") == pytest.approx(100 / 120)
    assert limiter.sustained_rate("host", "m") == float("inf")  # no method header
    assert limiter.sustained_rate("other-host") is None


def test_method_buckets_are_separate_but_share_the_app_bucket() -> None:
    """A full method bucket blocks only its method; the app bucket is shared by all."""
    limiter = RateLimiter(initial_in_flight=1, clock=lambda: 0.0)
    for method in ("a", "b"):
        ticket = limiter.try_acquire("host", method)
        assert isinstance(ticket, Ticket)
        limits = {"X-App-Rate-Limit": "3:1", "X-Method-Rate-Limit": "1:1"}
        limiter.release(ticket, status_code=200, headers=limits)
    assert _wait_kind(limiter.try_acquire("host", "a")) == "method"
    assert isinstance(limiter.try_acquire("host", "c"), Ticket)  # third app slot
    assert _wait_kind(limiter.try_acquire("host", "d")) == "application"


def test_hosts_have_separate_buckets() -> None:
    """Each route host has its own application bucket."""
    limiter = RateLimiter(initial_in_flight=1, clock=lambda: 0.0)
    assert isinstance(limiter.try_acquire("euw1", "m"), Ticket)
    assert isinstance(limiter.try_acquire("na1", "m"), Ticket)


@pytest.mark.parametrize(("limit_type", "blocked"), [("application", "x"), ("method", "m")])
def test_429_with_retry_after_blocks_the_named_bucket(limit_type: str, blocked: str) -> None:
    """A 429 naming the application blocks every method; naming the method, only that one."""
    limiter = RateLimiter(clock=lambda: 0.0)
    ticket = limiter.try_acquire("host", "m")
    assert isinstance(ticket, Ticket)
    headers = {
        "X-App-Rate-Limit": "100:1",
        "X-Method-Rate-Limit": "100:1",
        "Retry-After": "4",
        "X-Rate-Limit-Type": limit_type,
    }
    limiter.release(ticket, status_code=429, headers=headers)
    assert pytest.approx(4.0) == _wait_seconds(limiter.try_acquire("host", blocked))


def test_service_429_blocks_no_bucket() -> None:
    """A 429 without Retry-After (a service limit) leaves the buckets open."""
    limiter = RateLimiter(clock=lambda: 0.0)
    ticket = limiter.try_acquire("host", "m")
    assert isinstance(ticket, Ticket)
    limiter.release(ticket, status_code=429, headers={"X-Rate-Limit-Type": "service"})
    assert isinstance(limiter.try_acquire("host", "m"), Ticket)


def _wait_kind(outcome: object) -> str:
    assert not isinstance(outcome, Ticket)
    return str(outcome.limit_type)  # type: ignore[attr-defined]


def _wait_seconds(outcome: object) -> float:
    assert not isinstance(outcome, Ticket)
    return float(outcome.seconds)  # type: ignore[attr-defined]


@given(
    st.floats(0.1, 5.0),
    st.lists(st.tuples(st.floats(0.0, 5.0), st.integers(0, 50)), max_size=30),
)
def test_others_estimate_is_the_live_maximum(hold_s: float, steps: list[tuple[float, int]]) -> None:
    """The estimate of others' requests is the largest one not yet expired, at any time."""
    others, added, now = _Others(), [], 0.0
    for gap_s, count in steps:
        now += gap_s
        others.add(now + hold_s, count)
        added.append((now + hold_s, count))
        live = [c for expires_at, c in added if expires_at > now]
        assert others.levels(now)[0][1] == max(live, default=0)
