"""The year-end archive (Order art. 11(2)): when the director closes a year, with a fresh 2FA
code, a job renders every class's catalog and the school's statistics, one class at a time
(memory stays flat), puts each PDF in the object store under keys that are never replaced,
then writes a manifest of their SHA-256 and seals it: the manifest's hash goes into the
audit chain with the director's sign-off. `archive_verify` reads everything back."""

import hashlib
import json

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from accounts.two_factor import otp_verify
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record
from catalog.grades.closing import year_close, year_close_check
from catalog.grades.statistics import year_statistics
from catalog.reports import services
from catalog.reports.models import YearArchive
from catalog.reports.pdf import pdf_render
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import SchoolClass, SchoolYear
from catedra.objectstore import StorageError, backup_storage, school_area

CODE_REFUSED = _("Codul de autentificare în doi pași nu este corect: anul nu s-a încheiat.")
ONLY_DIRECTOR = _("Doar directorul încheie și redeschide anul școlar.")
NOT_CLOSED = _("Anul școlar nu este încheiat.")
REASON_REQUIRED = _("Scrieți motivul redeschiderii.")


def _signed_off(actor: User, token: str, confirmed_with: str | None) -> str:
    """The director's fresh second factor: a code given now, or a passkey the director signed
    with minutes ago on this page (`confirmed_with`, the door's fresh_factor_take); the kind
    of device that confirmed it."""
    if not (actor.is_active and actor.has_role(Role.DIRECTOR)):
        raise NotAllowed(ONLY_DIRECTOR)
    if confirmed_with and not token:
        return confirmed_with
    verification = otp_verify(user=actor, token=token)
    if verification.device is None:
        raise ValidationError(CODE_REFUSED, code="token")
    return type(verification.device).__name__


def year_close_sealed(
    *, actor: User, year: SchoolYear, token: str, school: SchoolIdentity, verify_url: str,
    confirmed_with: str | None = None,
):  # fmt: skip
    """Close the year (rule 12) and queue its archive, the next version, signed off by the
    director's fresh second factor (asked for once the year is ready to close)."""
    year_close_check(actor=actor, year=year)
    device = _signed_off(actor, token, confirmed_with)
    with transaction.atomic():
        year_close(actor=actor, year=year)
        version = (YearArchive.objects.filter(year=year).aggregate(last=Max("version"))["last"] or 0) + 1
        archive = YearArchive.objects.create(
            year=year, version=version, requested_by=actor, signed_off_at=timezone.now(), signed_off_with=device,
            total=SchoolClass.objects.filter(year=year).count(),
        )  # fmt: skip
        audit_record(action=Action.ARCHIVE_REQUESTED, actor=actor, obj=year,
                     new={"version": version, "signed_off_with": device})  # fmt: skip
        school_fields = {f: getattr(school, f) for f in ("siiir_code", "name", "cui", "county", "locality")}
        transaction.on_commit(lambda: _queue(archive.pk, school_fields, verify_url))
    return archive


def _queue(archive_id: int, school: dict, verify_url: str) -> None:
    from catalog.reports.tasks import year_archive_job  # the task module imports this one

    year_archive_job.delay(archive_id, school, verify_url)


def year_reopen(*, actor: User, year: SchoolYear, reason: str, token: str, confirmed_with: str | None = None) -> None:
    """The director reopens a closed year, with a reason and a fresh second factor: writes into
    it are possible again; closing it again makes a new archive version (the sealed ones stay)."""
    device = _signed_off(actor, token, confirmed_with)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(REASON_REQUIRED, code="reason")
    with transaction.atomic():
        year = SchoolYear.objects.select_for_update().get(pk=year.pk)
        if not year.is_closed:
            raise ValidationError(NOT_CLOSED, code="not_closed")
        year.closed_at, year.closed_by = None, None
        year.save(update_fields=["closed_at", "closed_by"])
        audit_record(action=Action.YEAR_REOPENED, actor=actor, obj=year, reason=reason[:500],
                     new={"name": year.name, "signed_off_with": device})  # fmt: skip


def archive_build(*, archive_id: int, school: SchoolIdentity, verify_url: str) -> YearArchive:
    """The job: render, store, manifest, seal. Safe to deliver twice (a sealed archive is left)."""
    archive = YearArchive.objects.select_related("year", "requested_by").get(pk=archive_id)
    if archive.status == YearArchive.Status.SEALED:
        return archive
    store = backup_storage()
    prefix = f"{school_area(connection.schema_name)}archive/{archive.year.name}/v{archive.version}"
    YearArchive.objects.filter(pk=archive.pk).update(status=YearArchive.Status.RUNNING, prefix=prefix, error="")
    files = []
    try:
        classes = SchoolClass.objects.filter(year=archive.year).select_related("year", "homeroom")
        for done, school_class in enumerate(classes.order_by("level", "letter"), start=1):
            issued = services.class_catalog_issue(actor=archive.requested_by, school_class=school_class,
                                                  school=school, verify_url=verify_url)  # fmt: skip
            files.append(_put(store, prefix, f"catalog-{school_class.level}{school_class.letter}.pdf", issued.pdf))
            YearArchive.objects.filter(pk=archive.pk).update(done=done)
        statistics = pdf_render("reports/statistics.html", {
            "school": school, "statistics": year_statistics(archive.year), "generated_at": timezone.localtime(),
            "issued_by": archive.requested_by, "code": f"{archive.year.name} v{archive.version}", "qr": "",
            "verify_url": "",
        })  # fmt: skip
        files.append(_put(store, prefix, "statistici.pdf", statistics))
        manifest = json.dumps({
            "school": school.name, "siiir_code": school.siiir_code, "year": archive.year.name,
            "version": archive.version, "created_at": timezone.now().isoformat(), "files": files,
            "signed_off_by": archive.requested_by.username, "signed_off_at": archive.signed_off_at.isoformat(),
            "signed_off_with": archive.signed_off_with,
        }, sort_keys=True, indent=1).encode()  # fmt: skip
        store.put_new(f"{prefix}/manifest.json", manifest)
    except Exception as error:
        YearArchive.objects.filter(pk=archive.pk).update(status=YearArchive.Status.FAILED, error=str(error)[:2000])
        raise
    digest = hashlib.sha256(manifest).hexdigest()
    with transaction.atomic():
        YearArchive.objects.filter(pk=archive.pk).update(
            status=YearArchive.Status.SEALED, files=files, manifest_sha256=digest, sealed_at=timezone.now()
        )
        audit_record(
            action=Action.ARCHIVE_SEALED, actor=archive.requested_by, obj=archive.year,
            new={"version": archive.version, "manifest_sha256": digest, "files": len(files),
                 "signed_off_at": archive.signed_off_at, "signed_off_with": archive.signed_off_with},
        )  # fmt: skip
    archive.refresh_from_db()
    return archive


def _put(store, prefix: str, name: str, data: bytes) -> dict:
    store.put_new(f"{prefix}/{name}", data)
    return {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def archive_verify(archive: YearArchive) -> list[str]:
    """What does not hold, naming the file (empty: the archive is whole). The manifest read back
    must hash to what the record and the audit chain say; every file to what the manifest says."""
    problems = []
    store = backup_storage()
    try:
        manifest = store.get(f"{archive.prefix}/manifest.json")
    except StorageError:
        return ["manifest.json: lipsește"]
    digest = hashlib.sha256(manifest).hexdigest()
    sealed = AuditEvent.objects.filter(action=Action.ARCHIVE_SEALED, new_values__version=archive.version,
                                       object_id=str(archive.year_id)).order_by("-seq").first()  # fmt: skip
    if digest != archive.manifest_sha256 or sealed is None or sealed.new_values.get("manifest_sha256") != digest:
        problems.append("manifest.json: nu corespunde sigiliului din jurnalul de audit")
    for entry in json.loads(manifest).get("files", []):
        try:
            data = store.get(f"{archive.prefix}/{entry['name']}")
        except StorageError:
            problems.append(f"{entry['name']}: lipsește")
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"{entry['name']}: conținutul a fost modificat")
    return problems


def archive_file(archive: YearArchive, name: str) -> bytes:
    """One file of a sealed archive (a name its manifest lists)."""
    if name not in {entry["name"] for entry in archive.files}:
        raise KeyError(name)
    return backup_storage().get(f"{archive.prefix}/{name}")
