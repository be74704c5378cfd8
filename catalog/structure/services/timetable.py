"""The school's bell schedule and each class's timetable (set in configuration): the gradebook
opens at the hour being taught instead of always at the first."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from catalog.structure.models import BellHour, CurriculumEntry, SchoolClass, Subject, TimetableSlot
from catalog.structure.services.years import require_configurer, require_open

WEEKDAYS = {1: _("luni"), 2: _("marți"), 3: _("miercuri"), 4: _("joi"), 5: _("vineri")}
BELL_ORDER = _("Ora {number} trebuie să înceapă înainte să se termine și după ce se termină ora dinainte.")
NOT_IN_CURRICULUM = _("Disciplina nu este în planul de învățământ al clasei.")


def bell_set(*, actor: User, hours: dict[int, tuple[time, time]]) -> list[BellHour]:
    """The bell schedule: hour number -> (starts, ends); the hours not given are dropped."""
    require_configurer(actor)
    previous_end = None
    for number in sorted(hours):
        starts, ends = hours[number]
        if not (1 <= number <= 14 and starts < ends and (previous_end is None or previous_end <= starts)):
            raise ValidationError(str(BELL_ORDER).format(number=number), code="bell")
        previous_end = ends
    with transaction.atomic():
        old = {str(h.number): f"{h.starts:%H:%M}-{h.ends:%H:%M}" for h in BellHour.objects.all()}
        BellHour.objects.all().delete()
        made = BellHour.objects.bulk_create(BellHour(number=n, starts=s, ends=e) for n, (s, e) in sorted(hours.items()))
        audit_record(action=Action.BELL_SET, actor=actor, object_type="structure.bellhour", old=old,
                     new={str(h.number): f"{h.starts:%H:%M}-{h.ends:%H:%M}" for h in made})  # fmt: skip
    return made


def timetable_set(
    *, actor: User, school_class: SchoolClass, slots: dict[tuple[int, int], Subject | None]
) -> list[TimetableSlot]:
    """The class's timetable: (weekday, hour) -> subject (None: no class then); the rest kept."""
    require_configurer(actor)
    require_open(school_class.year)
    taught = set(CurriculumEntry.objects.filter(school_class=school_class).values_list("subject_id", flat=True))
    for (weekday, hour), subject in slots.items():
        if weekday not in WEEKDAYS or not 1 <= hour <= 14:
            raise ValidationError(_("Ziua sau ora nu este în săptămâna de școală."), code="slot")
        if subject is not None and subject.pk not in taught:
            raise ValidationError(NOT_IN_CURRICULUM, code="curriculum")
    with transaction.atomic():
        for (weekday, hour), subject in slots.items():
            if subject is None:
                TimetableSlot.objects.filter(school_class=school_class, weekday=weekday, hour=hour).delete()
            else:
                TimetableSlot.objects.update_or_create(
                    school_class=school_class, weekday=weekday, hour=hour, defaults={"subject": subject}
                )
        now = list(TimetableSlot.objects.filter(school_class=school_class).select_related("subject"))
        shown = {f"{slot.weekday}/{slot.hour}": slot.subject.name for slot in now}
        audit_record(action=Action.TIMETABLE_SET, actor=actor, obj=school_class,
                     new={"class": str(school_class), "slots": shown})  # fmt: skip
    return now
