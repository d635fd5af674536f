"""What every request costs before its view: one statement, in one unit of work (counts, never times).

Who asks (browser session or API token, the account, the posts and windows it holds) and whether the
shared calendar changed are read together (``engine.services.request_start``). These tests count the
statements the app sends and the connections it takes from the pool, so the fixed part of a request
cannot quietly grow again; ``bench/request_cost.py`` prints the same counts per request of a case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from engine.services.accounts import actor_for
from engine.services.accounts import create_api_token
from tests.webapp.test_journey import APPLICATION

#: Statements and units of work of the fixed part of any request (signed in or by API token).
FIXED_STATEMENTS = 1
FIXED_UNITS = 1
#: A whole API complete of the applicant's form: the fixed part and the step (task form, step, notices,
#: the case as the answer, with the events it waits for). A ceiling: the step may get cheaper, the fixed part
#: may not grow.
COMPLETE_APPLY_STATEMENTS = 31
COMPLETE_APPLY_UNITS = 5


class System:
    """Another system calling the API with a bearer token only (no browser session)."""

    def __init__(self, app: Flask, username: str) -> None:
        ctx = app.extensions["onewindow"]
        self.token = create_api_token(ctx, actor_for(ctx, username), "request cost")
        self.client = app.test_client()

    def call(self, method: str, path: str, body: Any = None):  # type: ignore[no-untyped-def]
        return self.client.open("/api/v1" + path, method=method, json=body,
                                headers={"Authorization": f"Bearer {self.token}"})


@contextmanager
def counted(app: Flask) -> Iterator[Counter[str]]:
    """Statements sent and pool checkouts (one per unit of work) while the block runs."""
    engine = app.extensions["onewindow"].db.engine
    counts: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def checkout(*_: Any) -> None:
        counts["units"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine.pool, "checkout", checkout)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine.pool, "checkout", checkout)


def test_a_signed_in_request_reads_who_asks_in_one_statement(web_app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    clerk = login("demo_window")
    assert clerk.get("/no-such-page").status_code == 404  # the page's own work is nothing
    with counted(web_app) as counts:
        response = clerk.get("/no-such-page")
    assert response.status_code == 404 and "demo_window" in response.get_data(as_text=True)  # still signed in
    assert counts == {"statements": FIXED_STATEMENTS, "units": FIXED_UNITS}


def test_an_anonymous_request_reads_the_calendar_version_only(web_app: Flask) -> None:
    client = web_app.test_client()
    with counted(web_app) as counts:
        assert client.get("/no-such-page").status_code == 404
    assert counts == {"statements": FIXED_STATEMENTS, "units": FIXED_UNITS}


def test_an_api_call_reads_its_token_in_one_statement(web_app: Flask) -> None:
    system = System(web_app, "demo_citizen")
    assert system.call("GET", "/no-such-thing").status_code == 404  # the token's first use is noted (a write)
    with counted(web_app) as counts:
        response = system.call("GET", "/no-such-thing")
    assert response.status_code == 404
    assert counts == {"statements": FIXED_STATEMENTS, "units": FIXED_UNITS}


def test_a_bad_token_is_refused_after_the_same_lookup(web_app: Flask) -> None:
    client = web_app.test_client()
    with counted(web_app) as counts:
        response = client.get("/api/v1/cases", headers={"Authorization": "Bearer ow_not-a-token"})
    assert response.status_code == 401
    # The token lookup finds nothing, so the calendar version is read on its own.
    assert counts == {"statements": FIXED_STATEMENTS + 1, "units": FIXED_UNITS}


def test_an_api_complete_stays_within_its_statements(web_app: Flask) -> None:
    citizen = System(web_app, "demo_citizen")
    started = citizen.call("POST", "/matters/food_business/cases", {"data": {}})
    assert started.status_code == 201, started.get_json()
    case = started.get_json()
    apply = next(t for t in case["open_tasks"] if t["element_id"] == "apply")
    with counted(web_app) as counts:
        done = citizen.call("POST", f"/cases/{case['id']}/tasks/{apply['task_uuid']}/complete", {"data": APPLICATION})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "running"
    assert counts["statements"] <= COMPLETE_APPLY_STATEMENTS, counts
    assert counts["units"] <= COMPLETE_APPLY_UNITS, counts


def test_signing_out_ends_the_session_on_the_next_request(web_app: Flask, login) -> None:  # type: ignore[no-untyped-def]
    """Nothing about the session is kept between requests: the lookup sees it closed at once."""
    clerk = login("demo_window")
    cookie = clerk.client.get_cookie("session")
    assert cookie is not None
    other = web_app.test_client()  # the same cookie in another browser (or on another server)
    other.set_cookie("session", cookie.value)
    assert other.get("/account").status_code == 200
    clerk.post("/logout")
    assert other.get("/account").status_code == 302
