"""What families are told, how, and how often: each parent's choice (channels, rhythm, kinds),
their phones' Web Push subscriptions, and every notification with what became of it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.structure.models import Student


class Kind(models.TextChoices):
    GRADE = "grade", _("note noi")
    ABSENCE = "absence", _("absențe noi")
    EXCUSED = "excused", _("absențe motivate")
    THRESHOLD = "threshold", _("praguri de absențe atinse")
    DOCUMENT = "document", _("documente eliberate")


class Rhythm(models.TextChoices):
    INSTANT = "instant", _("imediat")
    DAILY = "daily", _("o dată pe zi, seara (rezumat)")


class Preference(models.Model):
    """A parent's choice; a parent who never chose gets e-mail at once for everything."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    email = models.BooleanField(_("prin e-mail"), default=True)
    push = models.BooleanField(_("pe telefon (notificare a aplicației)"), default=True)
    sms = models.BooleanField(_("prin SMS"), default=False)
    rhythm = models.CharField(_("cât de des"), max_length=8, choices=Rhythm.choices, default=Rhythm.INSTANT)
    kinds = models.JSONField(default=list)  # the Kind values wanted; every kind when the row is new

    def __str__(self) -> str:
        return f"{self.user_id}: {self.rhythm}"

    def wants(self, kind: str) -> bool:
        return kind in self.kinds


class PushSubscription(models.Model):
    """A browser's Web Push endpoint for a user (the PWA on a phone's home screen)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=600, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.endpoint[:40]}"


class Notification(models.Model):
    """One thing a parent is told about one child: a short text that carries no more than
    needed (the child's first name, the subject, the grade or the date), sent at once or in
    the evening's digest, by the parent's channels, by a background job with retries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("de trimis")
        SENT = "sent", _("trimisă")
        FAILED = "failed", _("netrimisă")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=200)  # a path on the school's host
    source = models.CharField(max_length=40, blank=True)  # what it is about: "grade:12", "absence:7"
    rhythm = models.CharField(max_length=8, choices=Rhythm.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    channels = models.JSONField(default=list)  # those it went out by
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "rhythm", "recipient"], name="notification_due"),
            models.Index(fields=["source"], name="notification_source"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id} ({self.status})"
