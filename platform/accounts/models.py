from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in: provider staff (in `public`) or a school's user (in its schema).

    The same table exists in every schema, so a user belongs to exactly one school and
    a school's credentials mean nothing on another school's host.
    """

    class Meta:
        verbose_name = _("utilizator")
        verbose_name_plural = _("utilizatori")
