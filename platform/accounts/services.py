from django.db.models import F

from accounts.models import User


def sessions_end_all(*, user: User) -> None:
    """Sign the user out on every device and browser at once."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
