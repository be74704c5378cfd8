"""Who a user is in a school or at the provider."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # A school's people (in its schema)
    DIRECTOR = "director", _("Director")
    DEPUTY = "deputy", _("Director adjunct")
    SCHOOL_ADMIN = "school_admin", _("Secretar (administrator)")
    TEACHER = "teacher", _("Profesor")
    HOMEROOM = "homeroom", _("Diriginte / învățător")
    PARENT = "parent", _("Părinte")
    STUDENT = "student", _("Elev")
    STATS_VIEWER = "stats_viewer", _("Vizualizare statistici")
    # The provider's staff (in public)
    OPERATOR = "operator", _("Operator")
    BILLING = "billing", _("Facturare")
    SUPERUSER = "superuser", _("Administrator platformă")


SCHOOL_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.TEACHER, Role.HOMEROOM, Role.PARENT,
                          Role.STUDENT, Role.STATS_VIEWER})  # fmt: skip
PROVIDER_ROLES = frozenset({Role.OPERATOR, Role.BILLING, Role.SUPERUSER})
# Order 3896/2023 art. 6(3): whoever sees personal data, writes grades or makes reports.
REQUIRE_TWO_FACTOR = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN, Role.TEACHER, Role.HOMEROOM,
                                Role.STATS_VIEWER}) | PROVIDER_ROLES  # fmt: skip
