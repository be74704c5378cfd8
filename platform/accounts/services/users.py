"""A school's accounts, managed by its admin, director or deputy: creating, changing,
deactivating them and linking parents to students, each audited with the old and new values."""

import re
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ParentLink, User
from accounts.roles import REQUIRE_TWO_FACTOR, SCHOOL_ROLES, Role
from accounts.services.sessions import sessions_end_all
from audit.actions import Action
from audit.services import audit_record
from catedra.text import has_control_characters


class NotAllowed(PermissionDenied):
    pass


def username_for(full_name: str) -> str:
    """`ana.popescu` from „Ana Popescu”, unique in the current schema (ana.popescu2, ...)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode().lower()
    base = ".".join(re.findall(r"[a-z0-9]+", ascii_name))[:140] or "utilizator"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


MANAGERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY)


def _require_manager(actor: User) -> None:
    if not actor.has_role(*MANAGERS):
        raise NotAllowed(_("Doar secretariatul și conducerea școlii administrează conturile."))


LEADERSHIP = (Role.DIRECTOR, Role.DEPUTY)


class RoleApproval:
    """Where granting some roles waits for the school management's approval (Order 3896/2023
    art. 15 and 20(2)). The catalog's rights app registers one (`role_approval_register`):
    accounts never imports the catalog, and the control plane has none, so there every
    change applies at once."""

    def held(self, *, actor: User, roles: set[str]) -> set[str]:
        """Which of `roles`, granted by `actor`, wait for approval."""
        return set()

    def ask(self, *, actor: User, user: User, roles: set[str]) -> set[str]:
        """Ask for `roles` for `user` (in the caller's transaction); those still waiting (an
        approver's own request is approved at once)."""
        return roles


_role_approval = RoleApproval()


def role_approval_register(approval: RoleApproval) -> None:
    global _role_approval
    _role_approval = approval


def user_roles_grant(*, actor: User, user: User, roles: set[str], approval: dict) -> None:
    """Add `roles` to `user` once the management approved them (the approval's record goes
    into the audit event); new rights apply from a fresh sign-in."""
    before = sorted(user.roles)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.roles = sorted({*user.roles, *roles})
        if user.roles == before:
            return
        fields, new = ["roles"], {"roles": user.roles} | approval
        if _first_staff_role(user, before):
            fields, new["password_reset_required"] = [*fields, "password"], True
        user.save(update_fields=fields)
        audit_record(action=Action.USER_CHANGED, actor=actor, obj=user, person=user, old={"roles": before}, new=new)
        sessions_end_all(user=user)


def school_has_director() -> bool:
    """An active director in the current school. Until there is one (the school's set-up), the
    secretariat may make the first director and give the rights only a director gives."""
    return User.objects.filter(roles__overlap=[Role.DIRECTOR], is_active=True).exists()


def _require_may_manage(actor: User, user: User | None = None, roles: list[str] = ()) -> None:
    """Managers manage accounts, but only the director manages the leadership's accounts
    (or grants their roles), except to make the school's first director."""
    _require_manager(actor)
    if actor.has_role(Role.DIRECTOR):
        return
    touches_leadership = (user is not None and user.has_role(*LEADERSHIP)) or bool(set(roles) & set(LEADERSHIP))
    if touches_leadership and school_has_director():
        raise NotAllowed(_("Doar directorul administrează conturile conducerii școlii."))


def user_create(
    *, actor: User, first_name: str, last_name: str, roles: list[str], email: str = "", birth_date=None
) -> User:
    """A new school user with a generated username and no password yet (an invitation or
    a parent sets it). Raises ValidationError with a message per field. Roles that wait for
    the management's approval are asked for and not given yet (`user.roles_waiting`)."""
    _require_may_manage(actor, roles=roles)
    user = User(
        first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip().lower(),
        roles=sorted(set(roles)), birth_date=birth_date,
    )  # fmt: skip
    _validate_user(user)
    waiting = _role_approval.held(actor=actor, roles=set(user.roles))
    user.roles = sorted(set(user.roles) - waiting)
    with transaction.atomic():
        user.username = username_for(f"{user.first_name} {user.last_name}")
        user.set_unusable_password()
        user.save()
        audit_record(action=Action.USER_CREATED, actor=actor, obj=user, person=user, new=_snapshot(user))
        user.roles_waiting = _role_approval.ask(actor=actor, user=user, roles=waiting) if waiting else set()
    if waiting:
        user.refresh_from_db(fields=["roles", "password"])
    return user


# What an account change records, old and new (never the password hash).
SNAPSHOT_FIELDS = ("username", "first_name", "last_name", "email", "roles", "birth_date", "is_active")


def _snapshot(user: User, names=SNAPSHOT_FIELDS) -> dict:
    return {name: getattr(user, name) for name in names}


def user_update(
    *, actor: User, user: User, first_name: str, last_name: str, roles: list[str], email: str = "", birth_date=None
) -> User:
    """Change a school user's name, e-mail, roles or birth date; the change is audited
    with its old and new values. Managers cannot change their own roles. Roles taken away go
    at once; roles added that wait for the management's approval are asked for and not given
    yet (`user.roles_waiting`)."""
    _require_may_manage(actor, user, roles)
    before = _snapshot(user)
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.email, user.roles, user.birth_date = email.strip().lower(), sorted(set(roles)), birth_date
    if user.pk == actor.pk and sorted(user.roles) != sorted(before["roles"]):
        raise NotAllowed(_("Nu vă puteți schimba propriile roluri: cereți altui membru al conducerii."))
    _validate_user(user)
    waiting = _role_approval.held(actor=actor, roles=set(user.roles) - set(before["roles"]))
    user.roles, user.roles_waiting = sorted(set(user.roles) - waiting), waiting
    changed = [name for name in SNAPSHOT_FIELDS if getattr(user, name) != before[name]]
    new = _snapshot(user, changed)
    if _first_staff_role(user, before["roles"]):
        changed, new["password_reset_required"] = [*changed, "password"], True
    with transaction.atomic():
        if changed:
            user.save(update_fields=changed)
            audit_record(
                action=Action.USER_CHANGED, actor=actor, obj=user, person=user,
                old={name: before[name] for name in changed if name in before}, new=new,
            )  # fmt: skip
            if "roles" in changed:
                sessions_end_all(user=user)  # new rights apply from a fresh sign-in (and 2FA, if now required)
        if waiting:
            user.roles_waiting = _role_approval.ask(actor=actor, user=user, roles=waiting)
            user.refresh_from_db(fields=["roles", "password"])
    return user


def _first_staff_role(user: User, roles_before: list[str]) -> bool:
    """A first staff role: a password chosen through a link shown to whoever asked for it (a
    parent's or a student's) must not open an account that writes grades or reads personal
    data. The person sets a new one through a link sent to their e-mail (this kills every
    link given out before). True when that happened."""
    if user.must_use_two_factor and not set(roles_before) & REQUIRE_TWO_FACTOR:
        user.set_unusable_password()
        return True
    return False


def user_deactivate(*, actor: User, user: User) -> None:
    """No more sign-ins for `user`, and their sessions end now; records stay."""
    _require_may_manage(actor, user)
    if user.pk == actor.pk:
        raise NotAllowed(_("Nu vă puteți dezactiva propriul cont."))
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        sessions_end_all(user=user)
        audit_record(action=Action.USER_DEACTIVATED, actor=actor, obj=user, person=user)


def user_reactivate(*, actor: User, user: User) -> None:
    """A deactivated account may sign in again."""
    _require_may_manage(actor, user)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        audit_record(action=Action.USER_REACTIVATED, actor=actor, obj=user, person=user)


def parent_link(*, actor: User, parent: User, student: User) -> ParentLink:
    _require_manager(actor)
    if not parent.has_role(Role.PARENT) or not student.has_role(Role.STUDENT):
        raise ValidationError(_("Legătura se face între un părinte și un elev."))
    with transaction.atomic():
        link, created = ParentLink.objects.get_or_create(parent=parent, student=student)
        if created:
            audit_record(
                action=Action.PARENT_LINKED, actor=actor, obj=link, person=student,
                new={"parent": parent.username, "student": student.username},
            )  # fmt: skip
    return link


def parent_unlink(*, actor: User, parent: User, student: User) -> None:
    """The parent no longer sees the student (custody changed, a wrong link)."""
    _require_manager(actor)
    with transaction.atomic():
        deleted, _detail = ParentLink.objects.filter(parent=parent, student=student).delete()
        if deleted:
            audit_record(
                action=Action.PARENT_UNLINKED, actor=actor, obj=parent, person=student,
                old={"parent": parent.username, "student": student.username},
            )  # fmt: skip


def _validate_user(user: User) -> None:
    errors: dict[str, list[str]] = {}
    if not user.first_name or not user.last_name:
        errors["last_name"] = [_("Numele și prenumele sunt obligatorii.")]
    for name in ("first_name", "last_name"):
        value = getattr(user, name)
        if len(value) > 150 or has_control_characters(value):
            errors.setdefault(name, []).append(_("Cel mult 150 de caractere, fără caractere de control."))
    if not user.roles or not set(user.roles) <= SCHOOL_ROLES:
        errors["roles"] = [_("Alegeți cel puțin un rol al școlii.")]
    if user.email:
        try:
            validate_email(user.email)
        except ValidationError:
            errors["email"] = [_("Adresa de e-mail nu este validă.")]
        else:
            if User.objects.filter(email__iexact=user.email).exclude(pk=user.pk).exists():
                errors["email"] = [_("Adresa de e-mail este deja folosită de alt cont.")]
    if errors:
        raise ValidationError(errors)
