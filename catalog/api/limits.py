"""Per-client rate limits, counted in Redis (the cache) per minute: a client over its rate
gets 429 with Retry-After until the minute ends. INCR is atomic, so concurrent calls of one
client count exactly; keys carry the school's schema (django-tenants' cache key function)."""

import time

from django.core.cache import cache

WINDOW = 60


def seconds_over(client_id: int, rate_per_minute: int) -> int:
    """0 if this call is within the client's rate, else the seconds until its next minute."""
    now = time.time()
    window = int(now // WINDOW)
    key = f"api-rate:{client_id}:{window}"
    cache.add(key, 0, timeout=WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this call starts the window
        cache.set(key, 1, timeout=WINDOW + 5)
        count = 1
    if count <= rate_per_minute:
        return 0
    return max(1, int((window + 1) * WINDOW - now + 0.999))
