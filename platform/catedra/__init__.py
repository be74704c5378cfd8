"""Catedra's project shell: settings, URL maps, the Celery app and the `catedra` command."""

from catedra.celery_app import app as celery_app

__all__ = ["celery_app"]
