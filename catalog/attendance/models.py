"""Absences per class hour and their excusing (DOMAIN rules 13–17). Every write goes through
`catalog.attendance.services` (audited)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.history import tracked
from catalog.structure.models import SchoolClass, Student, Subject


@tracked()
class Excusal(models.Model):
    """Absences of a student excused over an interval, with the document that excuses them."""

    class Reason(models.TextChoices):
        MEDICAL = "medical", _("certificat medical")
        PARENT = "parent", _("cererea părintelui")
        OTHER = "other", _("alt document")
        LATE = "late", _("întârziere (motivată de profesor)")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="excusals")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    starts = models.DateField(_("din"))
    ends = models.DateField(_("până la"))
    reason = models.CharField(_("motivul"), max_length=10, choices=Reason.choices)
    document = models.CharField(_("documentul (număr)"), max_length=60, blank=True)
    document_date = models.DateField(_("data documentului"), null=True, blank=True)
    # Rule 16: a parent's request needs the director's prior approval.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Rule 16: pregnant students and student-parents have higher caps.
    special_case = models.BooleanField(_("elevă gravidă / elev-părinte"), default=False)
    excused_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="excusal_dates")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.starts:%d.%m}–{self.ends:%d.%m}"


@tracked()
class Absence(models.Model):
    """A student not present at one class hour (rule 13)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="absences")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("data"))
    hour = models.PositiveSmallIntegerField(_("ora"))
    excusal = models.ForeignKey(Excusal, null=True, blank=True, on_delete=models.PROTECT, related_name="absences")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "hour"]
        indexes = [models.Index(fields=["school_class", "subject", "student"], name="absence_gradebook")]
        constraints = [
            models.UniqueConstraint(fields=["student", "on", "hour"], name="one_absence_per_hour"),
            models.CheckConstraint(condition=Q(hour__range=(1, 14)), name="absence_hour_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.on:%d.%m}"

    @property
    def excused(self) -> bool:
        return self.excusal_id is not None


class Notice(models.Model):
    """A written notice to the parents that unexcused absences reached a threshold (rule 17).
    Each parent's copy goes out, and is followed, as a `NoticeDelivery`."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    threshold = models.PositiveSmallIntegerField()
    # The unexcused absences when the threshold was reached (what the message says); none before it was kept.
    unexcused = models.PositiveSmallIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_class", "subject", "threshold"], nulls_distinct=False, name="one_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.threshold} ({self.created_at:%d.%m.%Y})"


class NoticeDelivery(models.Model):
    """One parent's copy of a notice, sent by a background job with retries; what became of it
    is kept so the school sees which parents were not told (and sends it again)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("în curs de trimitere")
        SENT = "sent", _("trimisă")
        FAILED = "failed", _("netrimisă")

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class Error(models.TextChoices):
        # What went wrong, as a kind: never an address, a number or a server's message.
        MAIL_UNAVAILABLE = "mail_unavailable", _("Serverul de e-mail nu a răspuns.")
        MAIL_REFUSED = "mail_refused", _("Serverul de e-mail a refuzat adresa părintelui.")
        SMS_UNAVAILABLE = "sms_unavailable", _("Serviciul de SMS nu a răspuns.")
        NO_CONTACT = "no_contact", _("Părintele nu are o adresă de e-mail și nici un telefon pentru SMS.")
        PARENT_INACTIVE = "parent_inactive", _("Contul părintelui este dezactivat.")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    channel = models.CharField(max_length=5, choices=Channel.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)  # given to the job: at creation, or sent again
    attempted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "parent"], name="one_delivery_per_parent")]
        # The school's list of notices not sent reads only these.
        indexes = [models.Index(fields=["status"], condition=~Q(status="sent"), name="delivery_unsent")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.attempts})"


@tracked()
class ParentRequest(models.Model):
    """A request to excuse absences sent from the family's side. Either the parent's own written
    request, without a medical document (rule 16): the director approves or refuses it first,
    then the homeroom teacher excuses with it; or a medical note photographed with the phone
    (rule 15): the homeroom teacher reads it and excuses with it, or refuses it with a reason."""

    class Kind(models.TextChoices):
        PARENT = "parent", _("cererea părintelui")
        MEDICAL = "medical", _("document medical")

    class Status(models.TextChoices):
        PENDING = "pending", _("în așteptare")
        APPROVED = "approved", _("aprobată")
        REFUSED = "refused", _("respinsă")
        USED = "used", _("absențe motivate")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="parent_requests")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("felul cererii"), max_length=10, choices=Kind.choices, default=Kind.PARENT)
    starts = models.DateField(_("din"))
    ends = models.DateField(_("până la"))
    note = models.CharField(_("motivul absenței"), max_length=500, blank=True)
    # The medical note's photo: its key in the school's object-store area (attendance.evidence),
    # cleared when the photo is deleted after the school year.
    photo = models.CharField(max_length=200, blank=True)
    special_case = models.BooleanField(_("elevă gravidă / elev-părinte"), default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    excusal = models.OneToOneField(Excusal, null=True, blank=True, on_delete=models.PROTECT, related_name="request")

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="request_dates")]

    def __str__(self) -> str:
        return f"{self.starts:%d.%m}–{self.ends:%d.%m} ({self.get_status_display()})"
