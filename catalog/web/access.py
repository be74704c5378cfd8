"""The pages' doors: who may open a configuration page, and a refusal as a page shows it.
Who may see which record is `catalog.structure.access`."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404

from accounts.services import NotAllowed
from catalog.structure.access import sees_everything
from catalog.structure.services import require_configurer
from catedra.text import refusal_text  # noqa: F401 - the pages call it as access.refusal_text


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


def leadership_required(user) -> None:
    """The school's management (director, deputy: Order art. 17), else a 404."""
    if not sees_everything(user):
        raise Http404


def form_refused(request, form) -> None:
    """A refused small form (one that redirects back) says why, as a message."""
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
