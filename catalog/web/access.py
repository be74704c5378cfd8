"""The pages' doors: who may open a configuration page, and a refusal as a page shows it.
Who may see which record is `catalog.structure.access`."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404

from accounts.services import NotAllowed
from catalog.structure.services import require_configurer


def configurer_only(view):
    """Signed in, and an active admin, director or deputy; anyone else gets a 404."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            require_configurer(request.user)
        except NotAllowed:
            raise Http404 from None
        return view(request, *args, **kwargs)

    return wrapped


def refusal_text(error: Exception) -> str:
    """A service's refusal (ValidationError or NotAllowed) as one line for a page."""
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
