"""The privacy notice: the school's secretariat or management publishes a version (the
provider's template with the school's parts); everyone who signs in is shown the newest
version they have not accepted yet, once, before anything else (the session carries it, so
no page pays a query for it)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.privacy.models import NoticeAcceptance, PrivacyNotice
from catedra.context_processors import on_school_host

SESSION_KEY = "catedra_privacy_due"  # the version to accept, set at sign-in
PARTS = ("controller", "dpo_contact", "purposes", "legal_basis", "retention", "recipients")
PUBLISHERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY)

NOT_PUBLISHER = _("Doar secretariatul și conducerea școlii publică nota de informare.")
PART_MISSING = _("Completați toate părțile notei.")

# The provider's template: what every school's notice says; each school edits its own parts.
DEFAULT_PARTS = {
    "controller": "",
    "dpo_contact": "",
    "purposes": _(
        "Ținerea catalogului școlar electronic: notele, calificativele, mediile, absențele și situația școlară a "
        "elevilor; informarea părinților; eliberarea documentelor școlare; raportările către Ministerul Educației."
    ),
    "legal_basis": _(
        "Îndeplinirea unei obligații legale și a unei sarcini de interes public (RGPD art. 6 alin. (1) lit. c) "
        "și e)): Legea învățământului preuniversitar nr. 198/2023 și Ordinul ministrului educației nr. 3896/2023 "
        "privind catalogul școlar electronic."
    ),
    "retention": _(
        "Cât timp elevul este înscris la școală și apoi cât prevăd normele arhivistice pentru documentele "
        "școlare; copiile de siguranță se păstrează cel mult 24 de luni după încetarea contractului cu furnizorul."
    ),
    "recipients": _(
        "Ministerul Educației și inspectoratul școlar, prin interfața de programare a catalogului; furnizorul "
        "platformei Catedra, ca persoană împuternicită de școală; părinții, pentru datele propriilor copii."
    ),
}


def notice_current() -> PrivacyNotice | None:
    return PrivacyNotice.objects.order_by("-version").first()


def notice_publish(*, actor: User, **parts: str) -> PrivacyNotice:
    """A new version with the school's `parts` (never an edit of a published one)."""
    if not (actor.is_active and actor.has_role(*PUBLISHERS)):
        raise NotAllowed(NOT_PUBLISHER)
    parts = {name: (parts.get(name) or "").strip() for name in PARTS}
    if not all(parts.values()):
        raise ValidationError(PART_MISSING, code="missing")
    with transaction.atomic():
        last = PrivacyNotice.objects.select_for_update().aggregate(last=Max("version"))["last"] or 0
        notice = PrivacyNotice.objects.create(version=last + 1, published_by=actor, **parts)
        audit_record(action=Action.PRIVACY_NOTICE_PUBLISHED, actor=actor, obj=notice, new={"version": notice.version})
    return notice


def notice_accept(*, user: User, notice: PrivacyNotice) -> NoticeAcceptance:
    """`user` read and accepted `notice` (recorded once, audited)."""
    with transaction.atomic():
        acceptance, made = NoticeAcceptance.objects.get_or_create(notice=notice, user=user)
        if made:
            audit_record(action=Action.PRIVACY_NOTICE_ACCEPTED, actor=user, obj=acceptance, person=user,
                         new={"version": notice.version})  # fmt: skip
    return acceptance


def notice_due(user: User) -> PrivacyNotice | None:
    """The newest version `user` has not accepted, if any."""
    notice = notice_current()
    if notice is None or NoticeAcceptance.objects.filter(notice=notice, user=user).exists():
        return None
    return notice


def notice_due_mark(sender, request, user, **kwargs) -> None:
    """At sign-in on a school's host: remember in the session the version to show first."""
    if not on_school_host(request):  # the control plane has no notice
        return
    due = notice_due(user)
    if due is not None:
        request.session[SESSION_KEY] = due.version
