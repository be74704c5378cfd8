"""The menu's "Drepturi de aprobat" for whoever approves rights: the director, and a deputy
while the director's delegation lasts (one query, for deputies only)."""

from accounts.roles import Role
from catedra.context_processors import on_school_host


def approver(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_role(Role.DIRECTOR, Role.DEPUTY):
        return {}
    if not on_school_host(request):  # the control plane has no catalog
        return {}
    from catalog.rights.services import approves

    return {"approves_rights": approves(user)}
