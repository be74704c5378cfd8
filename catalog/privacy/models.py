"""The school's privacy notice (GDPR art. 13-14, Order 3896/2023 art. 12(2)): versions that
are published and never edited, and each person's acceptance of a version."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PrivacyNotice(models.Model):
    """One published version: the provider's text (the template) with the school's parts."""

    version = models.PositiveIntegerField(unique=True)
    controller = models.TextField(_("operatorul datelor (școala: denumire, adresă, contact)"), max_length=1000)
    dpo_contact = models.TextField(_("responsabilul cu protecția datelor (nume, e-mail, telefon)"), max_length=1000)
    purposes = models.TextField(_("scopurile prelucrării"), max_length=4000)
    legal_basis = models.TextField(_("temeiul legal"), max_length=4000)
    retention = models.TextField(_("cât timp se păstrează datele"), max_length=4000)
    recipients = models.TextField(_("cui se transmit datele"), max_length=4000)
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} ({self.published_at:%d.%m.%Y})"


class NoticeAcceptance(models.Model):
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, related_name="acceptances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="one_acceptance_per_version")]

    def __str__(self) -> str:
        return f"{self.user_id} v{self.notice_id}"
