from django.db import connection
from django.utils import timezone

from ops.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    """Record that the periodic job `name` ran now."""
    assert connection.schema_name == "public", "heartbeats live in the public schema"
    beat, _created = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
    return beat
