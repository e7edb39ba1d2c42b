"""Background tasks of the roster import (django-q2); they only fetch and call a service."""

from __future__ import annotations

from linli.people.roster.uploads import roster_upload_run


def roster_upload_run_task(job_id: int, actor_id: int | None) -> str:
    """Run a confirmed upload; returns the job's final status for the task log."""
    return str(roster_upload_run(job_id=job_id, actor_id=actor_id).status)
