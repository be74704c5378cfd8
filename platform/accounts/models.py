from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts.roles import PROVIDER_ROLES, REQUIRE_TWO_FACTOR, SCHOOL_ROLES, Role


class User(AbstractUser):
    """A person who signs in: provider staff (in `public`) or a school's user (in its schema).

    The same table exists in every schema, so a user belongs to exactly one school and
    a school's credentials mean nothing on another school's host.
    """

    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list, blank=True)
    # Part of every session's auth hash: raising it ends all of the user's sessions.
    session_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("utilizator")
        verbose_name_plural = _("utilizatori")

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "catedra.accounts.session", f"{self.password}:{self.session_epoch}", algorithm="sha256"
        ).hexdigest()

    def has_role(self, *roles: str) -> bool:
        return bool(set(self.roles) & set(roles))

    @property
    def must_use_two_factor(self) -> bool:
        return bool(set(self.roles) & REQUIRE_TWO_FACTOR)

    @property
    def is_provider_staff(self) -> bool:
        return bool(set(self.roles) & PROVIDER_ROLES)

    @property
    def is_school_user(self) -> bool:
        return bool(set(self.roles) & SCHOOL_ROLES)
