"""Periodic jobs of other features (coaching's action-item reminders, ...), run by the job
runner under a lease: never by two runners at once, at most once per interval."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.models import utcnow
from cop.extensions import db
from cop.notifications import jobs
from cop.notifications.models import JobLease


@pytest.fixture
def periodic(app):
    """periodic(name, fn): register a job for this test only."""
    saved = dict(app.extensions.get(jobs.PERIODIC, {}))
    # Only this test's jobs: other features' jobs are tested by those features.
    app.extensions[jobs.PERIODIC] = {}

    def _add(name, fn):
        jobs.register_periodic_job(app, name, fn)

    yield _add
    app.extensions[jobs.PERIODIC] = saved


def test_a_periodic_job_runs_once_per_interval(app, periodic, mail_config):
    mail_config(JOBS_PERIODIC_SECONDS=60)
    calls = []
    periodic("test.reminders", lambda now: calls.append(now) or 2)
    now = utcnow()
    assert jobs.run_once(app, now)["periodic"] == 2
    assert jobs.run_once(app, now + timedelta(seconds=59))["periodic"] == 0
    assert jobs.run_once(app, now + timedelta(seconds=60))["periodic"] == 2
    assert calls == [now, now + timedelta(seconds=60)]


def test_two_runners_never_run_a_job_at_the_same_time(app, periodic):
    running, calls, overlaps = [], [], []

    def slow(now):
        if running:
            overlaps.append(now)
        running.append(1)
        calls.append(now)
        time.sleep(0.3)
        running.pop()
        return 0

    periodic("test.slow", slow)
    now = utcnow()
    barrier = threading.Barrier(3)
    errors = []

    def run():
        try:
            barrier.wait()
            jobs.run_once(app, now)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not overlaps
    assert len(calls) == 1


def test_a_failing_job_is_logged_and_runs_again_next_turn(app, periodic, fresh, caplog):
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("database hiccup")
        return 1

    periodic("test.flaky", flaky)
    now = utcnow()
    with caplog.at_level("ERROR", logger="cop.jobs"):
        assert jobs.run_once(app, now)["periodic"] == 0
    assert "periodic job test.flaky failed" in caplog.text
    fresh()
    lease = db.session.get(JobLease, "test.flaky")
    assert lease.last_error == "RuntimeError: database hiccup" and lease.lease_until is None
    assert jobs.run_once(app, now + timedelta(minutes=2))["periodic"] == 1
    fresh()
    assert db.session.execute(sa.select(JobLease.last_error)).scalar_one() is None


def test_a_lease_left_by_a_crashed_runner_runs_out(app, periodic, mail_config):
    mail_config(JOBS_LEASE_SECONDS=600)
    calls = []
    periodic("test.crash", lambda now: calls.append(now))
    now = utcnow()
    with app.app_context():
        assert jobs._take_lease("test.crash", "dead-runner", now)  # and then it died
    assert jobs.run_once(app, now + timedelta(minutes=5))["periodic"] == 0
    jobs.run_once(app, now + timedelta(minutes=11))
    assert calls == [now + timedelta(minutes=11)]
