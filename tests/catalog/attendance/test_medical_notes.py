"""Rule 15 from the family's side: a parent photographs the medical note and sends it; the photo
is cleaned (upright, no metadata, a real picture or nothing), kept in the school's area for the
family, the homeroom teacher and the management only, and the homeroom teacher excuses with it
(no director, no yearly cap) or refuses it with a reason. The photos go after the school year."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from audit.models import AuditEvent
from catalog.attendance import evidence, requests
from catalog.attendance.models import Absence, Excusal, ParentRequest
from catedra.objectstore import StorageError, backup_storage
from tests.accounts.conftest import make_user
from tests.catalog.attendance.test_attendance_services import record
from tests.catalog.attendance.test_parent_requests import delivered
from tests.catalog.conftest import past_day

Status = ParentRequest.Status
GPS_TAG, ORIENTATION_TAG = 0x8825, 0x0112


def photo(width=600, height=400, fmt="JPEG", orientation=None, name="nota.jpg") -> SimpleUploadedFile:
    """A phone-like photo: left half dark, so its orientation can be told after cleaning; with a
    GPS position in its EXIF (what a camera writes) and, optionally, an orientation tag."""
    image = Image.new("RGB", (width, height), "white")
    image.paste((10, 10, 10), (0, 0, width // 2, height))
    out = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[GPS_TAG] = {1: "N", 2: (44.0, 26.0, 0.0)}
        if orientation:
            exif[ORIENTATION_TAG] = orientation
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.BACKUP_S3_ENDPOINT = ""
    settings.BACKUP_LOCAL_DIR = tmp_path / "store"
    return backup_storage()


def send(cast, first=10, last=12, **extra):
    fields = {"actor": cast.parent, "student": cast.ana, "school_class": cast.class_5a,
              "starts": past_day(cast.year, first), "ends": past_day(cast.year, last),
              "kind": ParentRequest.Kind.MEDICAL, "photo": photo()}  # fmt: skip
    return requests.parent_request_submit(**(fields | extra))


def test_a_photo_is_kept_upright_smaller_and_without_what_the_camera_wrote():
    cleaned = Image.open(io.BytesIO(evidence.photo_clean(photo(3000, 2000, orientation=6))))
    assert cleaned.format == "JPEG"
    assert (cleaned.width, cleaned.height) == (1600, evidence.LONG_SIDE)  # turned upright (90°), then scaled
    assert not cleaned.getexif() and "exif" not in cleaned.info  # no GPS, no orientation left
    assert cleaned.getpixel((800, 10))[0] < 60 and cleaned.getpixel((800, 2390))[0] > 200  # dark half on top
    png = Image.open(io.BytesIO(evidence.photo_clean(photo(fmt="PNG", name="nota.png"))))
    assert (png.format, png.size) == ("JPEG", (600, 400))


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("nota.jpg", b"MZ\x90\x00 not a picture", "image/jpeg"), "nu este o fotografie"),
        (SimpleUploadedFile("nota.pdf", b"%PDF-1.7\n1 0 obj\n", "application/pdf"), "nu este o fotografie"),
        (SimpleUploadedFile("nota.jpg", photo().read()[:300], "image/jpeg"), "nu este o fotografie"),  # cut off
        (photo(fmt="GIF", name="nota.gif"), "nu este o fotografie"),
        (SimpleUploadedFile("nota.jpg", b"", "image/jpeg"), "Atașați fotografia"),
        (None, "Atașați fotografia"),
    ],
)
def test_anything_but_a_readable_photo_is_refused_in_romanian(upload, message):
    with pytest.raises(ValidationError, match=message):
        evidence.photo_clean(upload)


def test_a_decompression_bomb_and_an_oversized_file_are_refused_before_decoding(monkeypatch):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")  # 144 Mpx in a few hundred kB
    with pytest.raises(ValidationError, match="nu este o fotografie"):
        evidence.photo_clean(SimpleUploadedFile("nota.png", bomb.getvalue(), "image/png"))
    monkeypatch.setattr(evidence, "MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="prea mare"):
        evidence.photo_clean(photo())


def test_the_homeroom_teacher_excuses_with_the_medical_note_without_director_or_cap(cast, storage):
    for day in range(10, 17):
        for hour in range(1, 7):
            record(cast, day=day, hour=hour)  # 42 hours: over a parent's request's yearly cap of 40
    request = send(cast, first=10, last=16)
    assert (request.kind, request.status, request.special_case) == ("medical", Status.PENDING, False)
    assert request.photo.startswith(f"catedra/{connection.schema_name}/requests/{request.pk}-")
    assert Image.open(io.BytesIO(storage.get(request.photo))).format == "JPEG"
    submitted = AuditEvent.objects.get(action="absence.request_submitted")
    assert submitted.new_values["kind"] == "medical" and submitted.new_values["photo"] is True

    delivered(request)  # the day after the absences: in time (rule 15)
    with pytest.raises(ValidationError, match="dirigintele clasei"):
        requests.parent_request_decide(actor=cast.director, request=request, approve=True)
    with pytest.raises(ValidationError, match="numărul și data documentului"):
        requests.parent_request_apply(homeroom=cast.elena, request=request)  # number and date from the photo
    with pytest.raises(PermissionDenied):
        requests.parent_request_apply(homeroom=cast.mihai, request=request, document="12", document_date=request.ends)
    result = requests.parent_request_apply(
        homeroom=cast.elena, request=request, document="1234", document_date=request.ends
    )
    assert (result.count, result.warnings) == (42, [])
    excusal = Excusal.objects.get()
    assert (excusal.reason, excusal.document, excusal.approved_by) == ("medical", "1234", None)
    request.refresh_from_db()
    assert (request.status, request.excusal, request.decided_by) == (Status.USED, excusal, cast.elena)
    assert not Absence.objects.filter(excusal__isnull=True).exists()
    with pytest.raises(ValidationError, match="deja soluționată"):
        requests.parent_request_apply(homeroom=cast.elena, request=request, document="1", document_date=request.ends)


def test_the_homeroom_teacher_refuses_a_note_with_a_reason_only(cast):
    request = send(cast)
    with pytest.raises(ValidationError, match="motivul respingerii"):
        requests.medical_note_refuse(homeroom=cast.elena, request=request, note="  ")
    for other in (cast.mihai, cast.director, cast.admin):
        with pytest.raises(PermissionDenied):
            requests.medical_note_refuse(homeroom=other, request=request, note="Nu se citește")
    requests.medical_note_refuse(homeroom=cast.elena, request=request, note="Nu se citește data")
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (Status.REFUSED, "Nu se citește data")
    assert AuditEvent.objects.get(action="absence.request_decided").reason == "Nu se citește data"
    parents_own = requests.parent_request_submit(
        actor=cast.parent, student=cast.ana, school_class=cast.class_5a, starts=request.starts, ends=request.ends
    )
    with pytest.raises(ValidationError, match="document medical"):
        requests.medical_note_refuse(homeroom=cast.elena, request=parents_own, note="x")


def test_a_bad_photo_or_a_store_that_fails_leaves_nothing_behind(cast, monkeypatch):
    with pytest.raises(ValidationError, match="nu este o fotografie"):
        send(cast, photo=SimpleUploadedFile("nota.jpg", b"nope", "image/jpeg"))
    with pytest.raises(ValidationError, match="Atașați fotografia"):
        send(cast, photo=None)
    with pytest.raises(ValidationError, match="felul cererii"):
        send(cast, kind="certificat")

    def down(*_args, **_kwargs):
        raise StorageError("the store does not answer")

    monkeypatch.setattr(type(backup_storage()), "put_new", down)
    with pytest.raises(ValidationError, match="nu a putut fi păstrată"):
        send(cast)
    assert not ParentRequest.objects.exists() and not AuditEvent.objects.filter(action__startswith="absence").exists()


def test_the_parent_sends_the_photo_from_the_childs_page_and_sees_its_state(cast, as_user, storage):
    page = as_user(cast.parent)
    form = page.get(f"/elevi/{cast.ana.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in form and 'accept="image/jpeg,image/png,image/webp"' in form
    url = f"/elevi/{cast.ana.pk}/cerere-motivare/"
    days = {"starts": past_day(cast.year, 10).isoformat(), "ends": past_day(cast.year, 11).isoformat()}
    bad = page.post(url, {**days, "kind": "medical", "photo": SimpleUploadedFile("a.jpg", b"xx")}, follow=True)
    assert "nu este o fotografie" in bad.content.decode() and not ParentRequest.objects.exists()
    sent = page.post(url, {**days, "kind": "medical", "note": "Viroză", "photo": photo()}, follow=True)
    text = sent.content.decode()
    assert "Documentul medical a fost trimis dirigintelui." in text and "la diriginte" in text
    request = ParentRequest.objects.get()
    assert (request.kind, request.note) == ("medical", "Viroză")

    homeroom_page = as_user(cast.elena).get(f"/clase/{cast.class_5a.pk}/").content.decode()
    assert (
        "Vezi fotografia documentului" in homeroom_page
        and f"/cereri-motivare/{request.pk}/respingere/" in homeroom_page
    )
    assert (
        f"/cereri-motivare/{request.pk}/decizie/"
        not in as_user(cast.director).get("/cereri-motivare/").content.decode()
    )
    refused = as_user(cast.elena).post(f"/cereri-motivare/{request.pk}/respingere/", {"note": ""}, follow=True)
    assert "Scrieți motivul respingerii." in refused.content.decode()
    as_user(cast.elena).post(f"/cereri-motivare/{request.pk}/respingere/", {"note": "Nu se citește"})
    assert "respinsă" in page.get(f"/elevi/{cast.ana.pk}/").content.decode()


def test_the_photo_is_shown_to_who_reads_the_students_record_and_never_cached(cast, as_user, in_school_a):
    request = send(cast)
    url = f"/cereri-motivare/{request.pk}/fotografie/"
    for reader in (cast.parent, cast.elena, cast.director):
        response = as_user(reader).get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert response["Cache-Control"] == "private, no-store" and response["X-Content-Type-Options"] == "nosniff"
    stranger = make_user(in_school_a.schema_name, "alt.parinte", ["parent"])
    for other in (cast.mihai, stranger, cast.stats):
        assert as_user(other).get(url).status_code == 404
    assert as_user(cast.parent).get("/cereri-motivare/999999/fotografie/").status_code == 404


def test_the_homeroom_excuses_from_the_class_page_with_the_number_and_date(cast, as_user):
    record(cast, day=10)
    request = send(cast, first=10, last=10)
    page = as_user(cast.elena)
    url = f"/cereri-motivare/{request.pk}/motivare/"
    missing = page.post(url, {"document": "", "document_date": request.ends.isoformat()}, follow=True)
    assert "Scrieți numărul documentului." in missing.content.decode()
    page.post(url, {"document": "77", "document_date": request.ends.isoformat()})
    assert Excusal.objects.get().document == "77"
    assert as_user(cast.mihai).post(url, {"document": "1", "document_date": "2020-01-01"}).status_code == 404


def test_photos_are_deleted_a_month_after_the_year_ends_and_the_sweep_runs_everywhere(cast, storage, settings):
    from catedra.celery_app import app

    request = send(cast)
    key = request.photo
    ends = cast.year.ends
    assert evidence.photos_expire(today=ends + timedelta(days=30)) == 0
    assert storage.get(key)
    assert evidence.photos_expire(today=ends + timedelta(days=31)) == 1
    request.refresh_from_db()
    assert request.photo == "" and not storage.keys(key) and evidence.photo_read(request) is None
    entry = settings.CELERY_BEAT_SCHEDULE["request-photos-expire"]
    assert entry["task"] == "ops.tasks.schools_dispatch" and entry["args"][0] in app.tasks
