"""Long tasks started from the admin run as a management command in a process of
their own, never inside a web request (gunicorn would kill it, and the curator
would get a 500). The command reports progress on its `Job` row."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Job
from config.env import database_url

PROGRESS_EVERY = 2.0  # seconds between progress writes


class JobRunning(Exception):
    """A job of this kind is already queued or running."""


def start(kind: str, *, user=None) -> Job:
    """Queue a job of `kind` (a management command taking `--job ID`) and start its process."""
    with transaction.atomic():
        Job.objects.select_for_update().filter(kind=kind).first()  # serialize starters of one kind
        running = Job.objects.filter(kind=kind, status__in=("queued", "running")).first()
        if running is not None:
            raise JobRunning(
                f"{running.get_kind_display()} is already {running.status} (started {running.created_at:%Y-%m-%d %H:%M})"
            )
        job = Job.objects.create(kind=kind, requested_by=user)
    transaction.on_commit(lambda: _spawn(job))
    return job


def _spawn(job: Job) -> None:
    manage = Path(settings.BASE_DIR) / "manage.py"
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    log = Path(settings.BASE_DIR) / "logs"
    log.mkdir(exist_ok=True)
    with open(log / f"job-{job.pk}.log", "ab") as out:
        subprocess.Popen(
            [sys.executable, str(manage), job.kind, "--job", str(job.pk)],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, cwd=settings.BASE_DIR, env=env,
        )  # fmt: skip


class Reporter:
    """What a command running job `job_id` calls: progress (at most every few
    seconds) and the outcome. With no job id it does nothing."""

    def __init__(self, job_id: int | None) -> None:
        self.job_id = job_id
        self._last = 0.0
        if job_id is not None:
            Job.objects.filter(pk=job_id).update(status="running", started_at=timezone.now())

    def progress(self, done: int, total: int) -> None:
        if self.job_id is None or time.monotonic() - self._last < PROGRESS_EVERY:
            return
        self._last = time.monotonic()
        Job.objects.filter(pk=self.job_id).update(done=done, total=total)

    def finish(self, ok: bool, message: str) -> None:
        if self.job_id is not None:
            Job.objects.filter(pk=self.job_id).update(
                status="ok" if ok else "failed", finished_at=timezone.now(), message=message[:10000]
            )
