"""Checks shared by every catalog write: who may write where, which dates, why."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from catalog.structure.models import SchoolClass, Subject, TeachingAssignment
from catalog.structure.selectors import assignment_in_force, class_ends, holiday_on
from catalog.structure.services import require_open

DATE_OUTSIDE_YEAR = _("Data trebuie să fie în anul școlar {year}.")
DATE_IN_FUTURE = _("Data nu poate fi în viitor.")
DATE_IN_HOLIDAY = _("Pe {day} este vacanță ({name}): nu sunt ore.")
DATE_AFTER_CLASS_END = _("Cursurile clasei s-au încheiat la {ends}: data trebuie să fie până atunci.")
NOT_ENROLLED = _("Elevul nu este în această clasă la data aleasă.")
NOT_ASSIGNED = _("Nu predați această disciplină la această clasă.")
ADMIN_MAY_NOT_WRITE = _("Conturile de administrare nu pot înregistra sau modifica note și absențe.")
REASON_REQUIRED = _("Scrieți motivul modificării sau ștergerii.")
ONLY_HOMEROOM = _("Doar dirigintele (învățătorul) clasei poate face asta.")
RESULTS_CLOSED = _(
    "Situația școlară a clasei {name} este încheiată: notele, mediile, purtarea și absențele nu se mai "
    "schimbă decât dacă directorul o redeschide."
)


def require_results_open(school_class: SchoolClass) -> None:
    """The end-of-year lock (rule 12): the class's year is open and its results are not closed;
    once the homeroom teacher closes them, its grades, averages, conduct and absences stay as
    they are until the director reopens them."""
    require_open(school_class.year)
    if school_class.results_closed:
        raise ValidationError(RESULTS_CLOSED.format(name=school_class), code="results_closed")


def require_writer(actor: User, school_class: SchoolClass, subject: Subject) -> TeachingAssignment:
    """Only an active teacher with this assignment in force writes; never an admin account
    (art. 14, 19). Returns the assignment (a temporary grant says so in the write's audit)."""
    if actor.has_role(Role.SCHOOL_ADMIN):
        raise NotAllowed(ADMIN_MAY_NOT_WRITE)
    assignment = (
        assignment_in_force(actor, school_class, subject) if actor.is_active and actor.has_role(Role.TEACHER) else None
    )
    if assignment is None:
        raise NotAllowed(NOT_ASSIGNED)
    return assignment


def under_grant(assignment: TeachingAssignment) -> dict:
    """What a write's audit event adds when it was made under a temporary grant (art. 15)."""
    return {"grant": f"{assignment.starts:%d.%m.%Y}–{assignment.ends:%d.%m.%Y}"} if assignment.is_grant else {}


def require_homeroom(actor: User, school_class: SchoolClass) -> None:
    if actor.has_role(Role.SCHOOL_ADMIN):
        raise NotAllowed(ADMIN_MAY_NOT_WRITE)
    if school_class.homeroom_id != actor.pk or not actor.is_active:
        raise NotAllowed(ONLY_HOMEROOM)


def date_check(on: date, school_class: SchoolClass) -> None:
    """`on` lies in the class's school year, not in the future, not after the class's last day
    and not in a holiday."""
    year = school_class.year
    if not isinstance(on, date) or not year.starts <= on <= year.ends:
        raise ValidationError(DATE_OUTSIDE_YEAR.format(year=year.name), code="date")
    if on > timezone.localdate():
        raise ValidationError(DATE_IN_FUTURE, code="future")
    ends = class_ends(school_class)
    if on > ends:
        raise ValidationError(DATE_AFTER_CLASS_END.format(ends=f"{ends:%d.%m.%Y}"), code="date")
    holiday = holiday_on(year, on)
    if holiday is not None:
        raise ValidationError(DATE_IN_HOLIDAY.format(day=f"{on:%d.%m.%Y}", name=holiday.name), code="holiday")


# A grade or absence just added may be taken back by its author, without a reason, for this long
# (a slip of the thumb); after that it is a correction with a reason (Order art. 16(2)).
UNDO_SECONDS = 60
UNDO_REASON = "anulat imediat"
UNDO_NOT_AUTHOR = _("Doar cine a trecut înregistrarea o poate anula.")
UNDO_LATE = _("A trecut mai mult de un minut: ștergerea se face ca o corectare, cu un motiv.")


def undo_check(*, actor: User, author_id: int, created_at, now=None) -> str:
    """The reason an undo is recorded with, when `actor` may undo a record made at `created_at`."""
    if actor.pk != author_id:
        raise NotAllowed(UNDO_NOT_AUTHOR)
    if (now or timezone.now()) - created_at > timedelta(seconds=UNDO_SECONDS):
        raise ValidationError(UNDO_LATE, code="late")
    return UNDO_REASON


def reason_check(reason: str) -> str:
    """The reason, required for every modification or deletion (Order art. 16(2))."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_REQUIRED, code="reason")
    return reason[:500]
