import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ParentLink, User
from accounts.roles import REQUIRE_TWO_FACTOR, SCHOOL_ROLES, Role
from audit.actions import Action
from audit.models import Source
from audit.services import audit_context, audit_record
from catedra.text import has_control_characters


def sessions_end_all(*, user: User) -> None:
    """Sign the user out on every device and browser at once."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def sign_out_everywhere(*, user: User) -> None:
    """The user ends all their own sessions (lost phone, shared computer)."""
    sessions_end_all(user=user)
    audit_record(action=Action.SESSIONS_ENDED, actor=user, obj=user, person=user)


@transaction.atomic
def password_set_from_link(*, user: User, password: str) -> None:
    """A password chosen through a one-time link (invitation, or a reset by the admin):
    the link dies with the old password hash."""
    validate_password(password, user=user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=Action.PASSWORD_SET, actor=user, obj=user, person=user)


def password_changed(*, user: User, reset: bool) -> None:
    """Record a password change or e-mail reset (allauth changes the password itself). The
    account's owner acted: signed in, or holding the link sent to their address."""
    action = Action.PASSWORD_RESET if reset else Action.PASSWORD_CHANGED
    audit_record(action=action, actor=user, obj=user, person=user)


class NotAllowed(PermissionDenied):
    pass


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


def username_for(full_name: str) -> str:
    """`ana.popescu` from „Ana Popescu”, unique in the current schema (ana.popescu2, ...)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode().lower()
    base = ".".join(re.findall(r"[a-z0-9]+", ascii_name))[:140] or "utilizator"
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


# -- accounts management by the school's admin ---------------------------------------

MANAGERS = (Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY)


def _require_manager(actor: User) -> None:
    if not actor.has_role(*MANAGERS):
        raise NotAllowed(_("Doar secretariatul și conducerea școlii administrează conturile."))


LEADERSHIP = (Role.DIRECTOR, Role.DEPUTY)


def _require_may_manage(actor: User, user: User | None = None, roles: list[str] = ()) -> None:
    """Managers manage accounts, but only the director manages the leadership's accounts
    (or grants their roles), except to make the school's first director."""
    _require_manager(actor)
    if actor.has_role(Role.DIRECTOR):
        return
    touches_leadership = (user is not None and user.has_role(*LEADERSHIP)) or bool(set(roles) & set(LEADERSHIP))
    if touches_leadership and User.objects.filter(roles__overlap=[Role.DIRECTOR], is_active=True).exists():
        raise NotAllowed(_("Doar directorul administrează conturile conducerii școlii."))


def user_create(
    *, actor: User, first_name: str, last_name: str, roles: list[str], email: str = "", birth_date=None
) -> User:
    """A new school user with a generated username and no password yet (an invitation or
    a parent sets it). Raises ValidationError with a message per field."""
    _require_may_manage(actor, roles=roles)
    user = User(
        first_name=first_name.strip(), last_name=last_name.strip(), email=email.strip().lower(),
        roles=sorted(set(roles)), birth_date=birth_date,
    )  # fmt: skip
    _validate_user(user)
    with transaction.atomic():
        user.username = username_for(f"{user.first_name} {user.last_name}")
        user.set_unusable_password()
        user.save()
        audit_record(action=Action.USER_CREATED, actor=actor, obj=user, person=user, new=_snapshot(user))
    return user


# What an account change records, old and new (never the password hash).
SNAPSHOT_FIELDS = ("username", "first_name", "last_name", "email", "roles", "birth_date", "is_active")


def _snapshot(user: User, names=SNAPSHOT_FIELDS) -> dict:
    return {name: getattr(user, name) for name in names}


def user_update(
    *, actor: User, user: User, first_name: str, last_name: str, roles: list[str], email: str = "", birth_date=None
) -> User:
    """Change a school user's name, e-mail, roles or birth date; the change is audited
    with its old and new values. Managers cannot change their own roles."""
    _require_may_manage(actor, user, roles)
    before = _snapshot(user)
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.email, user.roles, user.birth_date = email.strip().lower(), sorted(set(roles)), birth_date
    if user.pk == actor.pk and sorted(user.roles) != sorted(before["roles"]):
        raise NotAllowed(_("Nu vă puteți schimba propriile roluri: cereți altui membru al conducerii."))
    _validate_user(user)
    changed = [name for name in SNAPSHOT_FIELDS if getattr(user, name) != before[name]]
    if not changed:
        return user
    new = _snapshot(user, changed)
    if user.must_use_two_factor and not set(before["roles"]) & REQUIRE_TWO_FACTOR:
        # A first staff role: a password chosen through a link shown to whoever asked for it
        # (a parent's or a student's) must not open an account that writes grades or reads
        # personal data. The person sets a new one through a link sent to their e-mail.
        user.set_unusable_password()  # also kills every link given out before
        changed, new["password_reset_required"] = [*changed, "password"], True
    with transaction.atomic():
        user.save(update_fields=changed)
        audit_record(
            action=Action.USER_CHANGED, actor=actor, obj=user, person=user,
            old={name: before[name] for name in changed if name in before}, new=new,
        )  # fmt: skip
        if "roles" in changed:
            sessions_end_all(user=user)  # new rights apply from a fresh sign-in (and 2FA, if now required)
    return user


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


# -- CSV import: students and parents, all or nothing ----------------------------------

CSV_COLUMNS = ("nume", "prenume", "rol", "email", "data_nasterii", "copil")
CSV_ROLES = {"elev": Role.STUDENT, "parinte": Role.PARENT, "părinte": Role.PARENT}
MAX_IMPORT_ROWS = 5000


@dataclass
class ImportReport:
    created: list[User] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "Rândul 3: ...", in Romanian


def users_import_csv(*, actor: User, text: str) -> ImportReport:
    """Import students and parents from CSV (columns: nume, prenume, rol, email,
    data_nasterii, copil — for a parent, `#N` for the student on row N of the file or an
    existing student's username). Every row is checked; if any is wrong, nothing is
    imported and the report lists every problem by row."""
    _require_manager(actor)
    report = ImportReport()
    rows = _csv_rows(text, report)
    if report.errors:
        return report
    try:
        with transaction.atomic(), audit_context(source=Source.IMPORT):
            made: dict[int, User] = {}
            for number, row in rows:
                _import_row(actor, number, row, made, report)
            if report.errors:
                raise _ImportFailed
    except _ImportFailed:
        report.created = []
    return report


class _ImportFailed(Exception):
    pass


def _csv_rows(text: str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    rows, errors = csv_read(text, required=CSV_COLUMNS[:3], max_rows=MAX_IMPORT_ROWS)
    report.errors.extend(errors)
    return [(row.line, row.values) for row in rows]


@dataclass(frozen=True)
class CsvRow:
    line: int  # the file's line the row starts on (the header is line 1)
    values: dict[str, str]  # by column name, stripped
    extra: bool = False  # more cells than the header has columns


def csv_column_name(name: str) -> str:
    """`numar_matricol` from „Număr matricol”: how a header cell names its column."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().strip().lower()
    return re.sub(r"[\s-]+", "_", ascii_name)


def csv_read(
    text: str, *, required: Sequence[str], max_rows: int, allowed: Sequence[str] | None = None
) -> tuple[list[CsvRow], list[str]]:
    """The data rows of a CSV text (a UTF-8 BOM dropped, `,` or `;` between cells; blank rows
    skipped) and the problems of the file as a whole, in Romanian (no rows when there is any)."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    rows: list[CsvRow] = []
    try:
        header = [csv_column_name(name) for name in next(reader, [])]
        if errors := _header_errors(header, required, allowed):
            return [], errors
        previous_line = reader.line_num
        for cells in reader:
            line, previous_line = previous_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                return [], [_("Fișierul are mai mult de %(max)d rânduri.") % {"max": max_rows}]
            values = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if name}
            extra = any(cell.strip() for cell in cells[len(header) :])
            rows.append(CsvRow(line=line, values=values, extra=extra))
    except csv.Error:
        return [], [_("Fișierul nu este un CSV valid (rândul %(row)d).") % {"row": reader.line_num}]
    if not rows:
        return [], [_("Fișierul nu are niciun rând de date.")]
    return rows, []


def _header_errors(header: list[str], required: Sequence[str], allowed: Sequence[str] | None) -> list[str]:
    if missing := [column for column in required if column not in header]:
        return [_("Lipsesc coloanele: %(columns)s.") % {"columns": ", ".join(missing)}]
    errors = []
    if allowed is not None and (unknown := [name or "(fără nume)" for name in header if name not in allowed]):
        errors.append(
            _("Coloane necunoscute: %(columns)s. Coloanele acceptate sunt: %(allowed)s.")
            % {"columns": ", ".join(unknown), "allowed": ", ".join(allowed)}
        )
    if repeated := sorted({name for name in header if name and header.count(name) > 1}):
        errors.append(_("Coloane care apar de două ori: %(columns)s.") % {"columns": ", ".join(repeated)})
    return errors


def _sniff_delimiter(text: str) -> str:
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def _import_row(actor: User, number: int, row: dict[str, str], made: dict[int, User], report: ImportReport) -> None:
    def fail(message: str) -> None:
        report.errors.append(_("Rândul %(row)d: %(message)s") % {"row": number, "message": message})

    role = CSV_ROLES.get(row.get("rol", "").lower())
    if role is None:
        return fail(_("rolul trebuie să fie „elev” sau „părinte”."))
    birth_date = None
    if row.get("data_nasterii"):
        try:
            birth_date = date.fromisoformat(row["data_nasterii"])
        except ValueError:
            return fail(_("data nașterii trebuie scrisă AAAA-LL-ZZ."))
    try:
        with transaction.atomic():
            user = user_create(
                actor=actor, first_name=row.get("prenume", ""), last_name=row.get("nume", ""), roles=[role],
                email=row.get("email", ""), birth_date=birth_date,
            )  # fmt: skip
    except ValidationError as exc:
        return fail(" ".join(exc.messages))
    made[number] = user
    report.created.append(user)
    if role == Role.PARENT:
        child = _child_of_row(row.get("copil", ""), made)
        if child is None:
            return fail(
                _("copilul („%(ref)s”) nu este un elev din fișier (#rând) sau din școală.")
                % {"ref": row.get("copil", "")}
            )
        parent_link(actor=actor, parent=user, student=child)
    return None


def _child_of_row(reference: str, made: dict[int, User]) -> User | None:
    if reference.startswith("#") and reference[1:].isdigit():
        child = made.get(int(reference[1:]))
    else:
        child = User.objects.filter(username=reference).first() if reference else None
    return child if child is not None and child.has_role(Role.STUDENT) else None


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


# -- failed sign-ins: growing waits per account, lifted by an admin -------------------

FREE_FAILURES = 4  # mistakes allowed before any wait
FIRST_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 3600


def login_wait_until(user: User):
    """When `user` may try to sign in again, or None if now (30 s after the 5th failure in
    a row, doubling with each further failure, at most an hour)."""
    if user.login_failures <= FREE_FAILURES or user.login_failed_at is None:
        return None
    wait = min(FIRST_WAIT_SECONDS * 2 ** (user.login_failures - FREE_FAILURES - 1), MAX_WAIT_SECONDS)
    until = user.login_failed_at + timedelta(seconds=wait)
    return until if until > timezone.now() else None


def login_failed(*, user: User | None) -> None:
    """A failed sign-in, against the account it named (if any): counted and audited."""
    with transaction.atomic():
        if user is not None:
            User.objects.filter(pk=user.pk).update(
                login_failures=F("login_failures") + 1, login_failed_at=timezone.now()
            )
        audit_record(action=Action.LOGIN_FAILED, actor="", obj=user, object_type="accounts.user", person=user)


def login_succeeded(*, user: User) -> None:
    with transaction.atomic():
        if user.login_failures:
            User.objects.filter(pk=user.pk).update(login_failures=0, login_failed_at=None)
        audit_record(action=Action.LOGIN, actor=user, obj=user, person=user)


def logged_out(*, user: User) -> None:
    audit_record(action=Action.LOGOUT, actor=user, obj=user, person=user)


def lockouts_lift(*, actor: User, user: User) -> None:
    """The school's admin lets a locked-out user try again at once (password and 2FA)."""
    _require_manager(actor)
    from accounts.two_factor import otp_lockout_lift

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(login_failures=0, login_failed_at=None)
        otp_lockout_lift(user=user)
        audit_record(action=Action.USER_UNLOCKED, actor=actor, obj=user, person=user)


def user_for_login(login: str) -> User | None:
    """The account a sign-in attempt names (username or e-mail), if any."""
    login = (login or "").strip()
    if not login or len(login) > 254:
        return None
    return User.objects.filter(Q(username=login) | Q(email__iexact=login)).first()
