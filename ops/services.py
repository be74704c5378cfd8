from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from ops.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    """Record that the periodic job `name` ran now."""
    with schema_context(get_public_schema_name()):
        beat, _created = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
    return beat
