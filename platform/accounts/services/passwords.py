"""Passwords given by others: a parent's for a minor child, and the links that let a person
set their own (staff receive theirs by e-mail only)."""

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ParentLink, User
from accounts.roles import Role
from accounts.services.sessions import sessions_end_all
from accounts.services.users import NotAllowed, _require_may_manage
from audit.actions import Action
from audit.services import audit_record


def children_of(*, parent: User) -> list[User]:
    return [link.student for link in ParentLink.objects.filter(parent=parent).select_related("student")]


def child_password_set(*, parent: User, child: User, password: str) -> None:
    """A parent sets the password of their own minor child (Order 3896/2023 art. 18(2)).

    Raises NotAllowed for anyone else's child or an adult student, ValidationError for a
    weak password; the child's other sessions end.
    """
    if not parent.has_role(Role.PARENT) or not ParentLink.objects.filter(parent=parent, student=child).exists():
        raise NotAllowed(_("Puteți schimba doar parola propriului copil."))
    if not child.has_role(Role.STUDENT) or not child.is_minor():
        raise NotAllowed(_("Un elev major își schimbă singur parola."))
    validate_password(password, user=child)
    with transaction.atomic():
        child.set_password(password)
        child.save(update_fields=["password"])
        sessions_end_all(user=child)
        audit_record(action=Action.PASSWORD_SET_BY_PARENT, actor=parent, obj=child, person=child)


def password_link(*, school, user: User) -> str:
    """A one-time link to set a password (invitations, resets given by the school's admin):
    the token dies once the password changes, and after PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{school.public_url}invitatie/{uid}/{token}/"


STAFF_LINK_NEEDS_EMAIL = gettext_lazy(
    "Linkul pentru parola unui cont de personal (care scrie note sau vede date personale) se trimite doar "
    "pe adresa de e-mail a persoanei, nu se afișează. Adăugați întâi adresa ei de e-mail."
)


def password_link_give(*, school, actor: User, user: User) -> str | None:
    """The school's management hands `user` a one-time link to set a password. It goes to
    the person's own e-mail when they have one, and a staff member's (anyone who writes grades
    or reads personal data) only ever there: whoever asks never sees it, or they could sign in
    as that person. Returned (to be shown) only for a parent or student without e-mail; raises
    ValidationError for staff without e-mail."""
    _require_may_manage(actor, user)
    if not user.email and user.must_use_two_factor:
        raise ValidationError(STAFF_LINK_NEEDS_EMAIL)
    link = password_link(school=school, user=user)
    delivery = "email" if user.email else "shown"
    with transaction.atomic():
        audit_record(action=Action.PASSWORD_LINK_ISSUED, actor=actor, obj=user, person=user, new={"delivery": delivery})
        if delivery == "email":
            transaction.on_commit(lambda: _password_link_mail(school=school, user=user, link=link))
    return link if delivery == "shown" else None


def _password_link_mail(*, school, user: User, link: str) -> None:
    subject = _("Catedra: alegeți-vă parola")
    body = _(
        "Bună ziua, %(name)s,\n\nPentru contul dumneavoastră din catalogul electronic Catedra al școlii "
        "„%(school)s” alegeți o parolă folosind legătura de mai jos. Se poate folosi o singură dată și expiră "
        "în 3 zile:\n\n%(link)s\n\nNumele de utilizator: %(username)s\n\nDacă nu ați cerut acest lucru, "
        "anunțați conducerea școlii.\n"
    ) % {"name": user.get_full_name() or user.username, "school": school.name, "link": link, "username": user.username}
    send_mail(subject, body, None, [user.email])
