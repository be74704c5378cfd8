from datetime import date

import pghistory
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import CooldownMixin, SideChannelDevice, ThrottlingMixin, TimestampMixin

from accounts.roles import PROVIDER_ROLES, REQUIRE_TWO_FACTOR, SCHOOL_ROLES, Role

# Row history (triggers): who a user is and may do, whatever code or SQL changes it.
USER_HISTORY_FIELDS = ["username", "first_name", "last_name", "email", "roles", "is_active", "birth_date"]


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
    fields=USER_HISTORY_FIELDS, model_name="UserEvent", obj_field=pghistory.ObjForeignKey(related_name="history"),
)  # fmt: skip
class User(AbstractUser):
    """A person who signs in: provider staff (in `public`) or a school's user (in its schema).

    The same table exists in every schema, so a user belongs to exactly one school and
    a school's credentials mean nothing on another school's host.
    """

    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    # Part of every session's auth hash: raising it ends all of the user's sessions.
    session_epoch = models.PositiveIntegerField(default=0)
    birth_date = models.DateField(_("data nașterii"), null=True, blank=True)
    # Failed sign-ins in a row, and the last one's time: they set the wait before the next try.
    login_failures = models.PositiveIntegerField(default=0)
    login_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("utilizator")
        verbose_name_plural = _("utilizatori")

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "catedra.accounts.session", f"{self.password}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()

    @property
    def role_labels(self) -> list[str]:
        """The user's roles in Romanian words, for people."""
        return [str(Role(role).label) for role in self.roles if role in Role.values]

    def has_role(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))

    @property
    def must_use_two_factor(self) -> bool:
        return bool(set(self.roles) & REQUIRE_TWO_FACTOR)

    def is_minor(self, on: date | None = None) -> bool:
        """Under 18 on `on` (today); unknown birth dates count as not minor."""
        if self.birth_date is None:
            return False
        return self.birth_date + relativedelta(years=18) > (on or timezone.localdate())

    @property
    def is_provider_staff(self) -> bool:
        return bool(set(self.roles) & PROVIDER_ROLES)

    @property
    def is_school_user(self) -> bool:
        return bool(set(self.roles) & SCHOOL_ROLES)


class SmsDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """A second factor by SMS: a six-digit code, valid five minutes, used once."""

    number = models.CharField(_("telefon"), max_length=16)

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("dispozitiv SMS")

    @classmethod
    def number_for(cls, user) -> str | None:
        """The number `user` confirmed for sign-in codes, where SMS can be sent at all (not in
        production without a gateway): where the school texts them."""
        if not settings.CATEDRA_SMS_ENABLED:
            return None
        return cls.objects.filter(user=user, confirmed=True).order_by("pk").values_list("number", flat=True).first()

    def generate_challenge(self) -> None:
        from accounts.sms import sms_gateway

        self.cooldown_set(commit=False)
        self.generate_token(valid_secs=settings.CATEDRA_SMS_CODE_VALIDITY, commit=True)
        text = _("Codul Catedra: %(token)s. Valabil 5 minute.") % {"token": self.token}
        sms_gateway().send(to=self.number, text=str(text))

    def verify_token(self, token) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        if super().verify_token(token):
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self) -> int:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    def get_cooldown_duration(self) -> int:
        return settings.OTP_EMAIL_COOLDOWN_DURATION


@pghistory.track(
    pghistory.InsertEvent(), pghistory.DeleteEvent(), obj_field=pghistory.ObjForeignKey(related_name="history")
)
class ParentLink(models.Model):
    """A parent (or legal guardian) of a student, in the same school."""

    parent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="child_links")
    student = models.ForeignKey(User, on_delete=models.CASCADE, related_name="parent_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "student"], name="one_link_per_parent_and_student")]

    def __str__(self) -> str:
        return f"{self.parent} → {self.student}"
