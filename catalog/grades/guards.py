"""The end-of-year lock: once the homeroom teacher closes the class's results, its grades,
averages, conduct and absences stay as they are until the director reopens them (rule 12)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.grades.models import ClassClosing
from catalog.structure.models import SchoolClass
from catalog.structure.services import require_open

RESULTS_CLOSED = _(
    "Situația școlară a clasei {name} este încheiată: notele, mediile, purtarea și absențele nu se mai "
    "schimbă decât dacă directorul o redeschide."
)


def require_results_open(school_class: SchoolClass) -> None:
    """The class's year is open and its results are not closed."""
    require_open(school_class.year)
    if ClassClosing.objects.filter(school_class=school_class).exists():
        raise ValidationError(RESULTS_CLOSED.format(name=school_class), code="results_closed")
