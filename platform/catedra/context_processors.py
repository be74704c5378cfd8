"""What every page's shell needs: which menu it shows (a school's or the provider console's)."""

from django_tenants.utils import get_public_schema_name

SCHOOL_MENU = "web/_menu.html"  # the catalog's own menu, named here, never imported
CONSOLE_MENU = "catedra/_console_menu.html"


def on_school_host(request) -> bool:
    """The request came to a school's host (not the control plane's)."""
    tenant = getattr(request, "tenant", None)
    return tenant is not None and tenant.schema_name != get_public_schema_name()


def shell(request) -> dict:
    on_school = on_school_host(request)
    return {"shell_menu": SCHOOL_MENU if on_school else CONSOLE_MENU, "on_school": on_school}
