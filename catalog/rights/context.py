"""The menu's "Drepturi de aprobat" for whoever approves rights: the director, and a deputy
while the director's delegation lasts (one query, for deputies only)."""

from django_tenants.utils import get_public_schema_name

from accounts.roles import Role


def approver(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_role(Role.DIRECTOR, Role.DEPUTY):
        return {}
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():  # the control plane has no catalog
        return {}
    from catalog.rights.services import approves

    return {"approves_rights": approves(user)}
