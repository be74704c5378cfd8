from django.db import models


class Heartbeat(models.Model):
    """The last time a periodic job ran (public schema). /readyz reads it."""

    name = models.CharField(max_length=60, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
