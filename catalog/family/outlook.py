"""A school year as a family reads it: per subject the grades, the average they give now by the
year-end arithmetic itself (`class_standings`, provisional until the teacher closes it), the
grades still needed, the absences against the thresholds that matter (the conduct deductions,
the half of the hours that can leave a subject open), what is new since the last visit, a
small trend, and the risks in words a parent understands."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.family.models import Visit
from catalog.grades import averages
from catalog.grades.selectors import class_standings, discipline_name, student_year
from catalog.grades.selectors.student_year import StudentYear, SubjectYear
from catalog.structure.models import RuleSet, Scheme, SchoolClass, Student

# How near a threshold counts as "close" (a sign shows before it is reached).
CLOSE_UNEXCUSED = 3  # absences before a conduct point is lost
CLOSE_SHARE = Fraction(4, 5)  # of the hours at which a subject can stay open
LAST_WEEKS = 42  # days before the year's end when grades still needed become a sign
CALIFICATIV_LEVEL = {"FB": 4, "B": 3, "S": 2, "I": 1}
TREND_WIDTH, TREND_HEIGHT = 100, 28


@dataclass
class SubjectOutlook:
    item: SubjectYear
    average: int | str | None  # closed, else what the grades give now
    closed: bool
    minimum: int  # grades the year needs before the average can close (rule 5)
    yearly_hours: int
    unexcused_limit: int | None  # unexcused hours at which conduct loses a point (rule 10)
    half: int | None  # hours missed from which the subject can stay open (rule 11)
    new_grades: set[int] = field(default_factory=set)
    new_absences: set[int] = field(default_factory=set)
    signs: list[str] = field(default_factory=list)
    modules: list[tuple] = field(default_factory=list)  # (ModuleYear, average, closed): rule 4

    @property
    def needed(self) -> int:
        return max(0, self.minimum - len(self.item.grades))

    @property
    def exempt(self) -> bool:
        return self.item.exemption is not None

    @property
    def trend(self) -> str:
        """The grades in date order as the points of an SVG polyline (empty under two grades)."""
        levels = [_level(grade) for grade in self.item.grades]
        levels = [level for level in levels if level is not None]
        if len(levels) < 2:
            return ""
        top = 4 if all(grade.value is None for grade in self.item.grades) else 10
        step = TREND_WIDTH / (len(levels) - 1)
        return " ".join(
            f"{index * step:.1f},{2 + (top - level) * (TREND_HEIGHT - 4) / (top - 1):.1f}"
            for index, level in enumerate(levels)
        )

    @property
    def unexcused_high(self) -> int:
        """Where the gauge of unexcused absences turns to a warning."""
        return max(0, (self.unexcused_limit or 0) - CLOSE_UNEXCUSED)

    @property
    def half_high(self) -> int:
        return _ceil(CLOSE_SHARE * (self.half or 0))


@dataclass
class Outlook:
    record: StudentYear
    subjects: list[SubjectOutlook]
    provisional: bool  # the year's result is not closed: the averages are what the grades give now
    conduct: Decimal | str | None
    general_average: Decimal | None
    step: int  # unexcused absences in the year per conduct point
    since: datetime | None  # the last visit: what is newer is marked
    signs: list[str] = field(default_factory=list)

    @property
    def unexcused_total(self) -> int:
        return self.record.unexcused_total

    @property
    def to_next_point(self) -> int:
        return self.step - self.unexcused_total % self.step

    @property
    def unexcused_in_step(self) -> int:
        return self.unexcused_total % self.step

    @property
    def step_low(self) -> int:
        return self.step // 2

    @property
    def step_high(self) -> int:
        return max(0, self.step - CLOSE_UNEXCUSED)

    @property
    def new_count(self) -> int:
        return sum(len(s.new_grades) + len(s.new_absences) for s in self.subjects)


def outlook(*, student: Student, school_class: SchoolClass, since: datetime | None = None,
            today: date | None = None) -> Outlook:  # fmt: skip
    """The student's year in `school_class` as the family sees it (a fixed number of queries)."""
    today = today or timezone.localdate()
    record = student_year(student=student, school_class=school_class)
    rules: RuleSet = school_class.year.rule_set
    standing = next(iter(class_standings(school_class=school_class, provisional=True, only=student)), None)
    ongoing = (record.result is None and school_class.year.starts <= today <= school_class.year.ends
               and school_class.scheme != Scheme.DESCRIPTIVE)  # fmt: skip
    share = Fraction(rules.conduct_subject_percent, 100)
    subjects = []
    for item in record.subjects:
        yearly = item.yearly_hours
        closed = item.average is not None and item.average.closed
        if closed:
            average = _closed(item.average)
        elif standing is not None:
            average = standing.subject_averages.get(discipline_name(item.subject))
        else:  # not enrolled here now (moved away): the same arithmetic on the grades shown
            average = _average_now(item)
        outlook_item = SubjectOutlook(
            item=item, average=average, closed=closed, minimum=averages.minimum_grades(weekly_hours=item.weekly_hours),
            yearly_hours=yearly, unexcused_limit=_ceil(share * yearly) if yearly else None,
            half=_ceil(Fraction(yearly, 2)) if yearly else None,
            new_grades={g.pk for g in item.grades if since and g.created_at > since},
            new_absences={a.pk for a in item.absences if since and a.created_at > since},
        )  # fmt: skip
        for part in item.modules:
            part_closed = part.average is not None and part.average.closed
            name = discipline_name(item.subject, part.module)
            part_average = _closed(part.average) if part_closed else (standing.subject_averages.get(name) if standing
                                                                   else None)  # fmt: skip
            outlook_item.modules.append((part, part_average, part_closed))
        if ongoing and not outlook_item.exempt:
            outlook_item.signs = _subject_signs(outlook_item, school_class, today)
        subjects.append(outlook_item)
    result = Outlook(
        record=record, subjects=subjects, provisional=record.result is None, step=rules.conduct_absence_step,
        conduct=standing.conduct if standing else None, general_average=standing.general_average if standing else None,
        since=since,
    )  # fmt: skip
    if ongoing:
        result.signs = _year_signs(result)
    return result


def visit_record(*, user, student: Student) -> datetime | None:
    """Record that `user` opens the student's overview now; when they did before (None: never)."""
    before = Visit.objects.filter(user=user, student=student).values_list("seen_at", flat=True).first()
    Visit.objects.bulk_create(  # one statement: insert, or move the existing row's time
        [Visit(user=user, student=student, seen_at=timezone.now())],
        update_conflicts=True, unique_fields=["user", "student"], update_fields=["seen_at"],
    )  # fmt: skip
    return before


def _subject_signs(item: SubjectOutlook, school_class: SchoolClass, today: date) -> list[str]:
    signs = []
    if isinstance(item.average, int) and item.average < 5:
        signs.append(_("Media de acum este %(average)s, sub 5: dacă rămâne așa la sfârșitul anului, elevul este "
                       "corigent la această disciplină.") % {"average": item.average})  # fmt: skip
    elif item.average == "I":
        signs.append(_("Calificativul de acum este „Insuficient”: dacă rămâne așa, elevul este corigent la această "
                       "disciplină."))  # fmt: skip
    absent = item.item.absences_count
    if item.half and absent >= CLOSE_SHARE * item.half and item.needed:
        signs.append(_("A lipsit %(absent)s ore din %(hours)s. De la %(half)s ore, fără destule note, situația la "
                       "această disciplină rămâne neîncheiată (amânat).")
                     % {"absent": absent, "hours": item.yearly_hours, "half": item.half})  # fmt: skip
    unexcused = item.item.unexcused
    if item.unexcused_limit and unexcused >= item.unexcused_limit:
        signs.append(_("%(n)s absențe nemotivate la această disciplină: nota la purtare scade cu un punct.")
                     % {"n": unexcused})  # fmt: skip
    elif item.unexcused_limit and unexcused >= item.unexcused_limit - CLOSE_UNEXCUSED and unexcused:
        signs.append(_("%(n)s absențe nemotivate la această disciplină; la %(limit)s, nota la purtare scade cu un "
                       "punct.") % {"n": unexcused, "limit": item.unexcused_limit})  # fmt: skip
    if item.needed and (school_class.year.ends - today).days <= LAST_WEEKS:
        signs.append(ngettext(
            "Mai are nevoie de %(n)s notă până la sfârșitul anului pentru ca media să se poată încheia.",
            "Mai are nevoie de %(n)s note până la sfârșitul anului pentru ca media să se poată încheia.", item.needed,
        ) % {"n": item.needed})  # fmt: skip
    return signs


def _year_signs(result: Outlook) -> list[str]:
    signs = []
    total, step = result.unexcused_total, result.step
    if total >= step:
        points = total // step
        signs.append(ngettext(
            "%(total)s absențe nemotivate în acest an: nota la purtare scade cu %(points)s punct.",
            "%(total)s absențe nemotivate în acest an: nota la purtare scade cu %(points)s puncte.", points,
        ) % {"total": total, "points": points})  # fmt: skip
    if total and result.to_next_point <= CLOSE_UNEXCUSED:
        signs.append(ngettext(
            "Încă %(n)s absență nemotivată și nota la purtare mai scade cu un punct.",
            "Încă %(n)s absențe nemotivate și nota la purtare mai scade cu un punct.", result.to_next_point,
        ) % {"n": result.to_next_point})  # fmt: skip
    if isinstance(result.conduct, Decimal) and result.conduct < 7:
        signs.append(_("Nota la purtare calculată acum este %(conduct)s: sub 6, elevul rămâne repetent.")
                     % {"conduct": result.conduct})  # fmt: skip
    under = [s for s in result.subjects if isinstance(s.average, int) and s.average < 5 and not s.exempt]
    if len(under) > 2:
        signs.append(_("La %(n)s discipline media de acum este sub 5: peste două, elevul ar rămâne repetent.")
                     % {"n": len(under)})  # fmt: skip
    return signs


def _closed(average) -> int | str:
    return average.value if average.value is not None else average.calificativ


def _average_now(item: SubjectYear) -> int | str | None:
    values = [g.value for g in item.grades if g.value is not None]
    if values:
        return averages.annual_average(values)
    return averages.suggest_calificativ([g.calificativ for g in item.grades if g.calificativ])


def _level(grade) -> int | None:
    return grade.value if grade.value is not None else CALIFICATIV_LEVEL.get(grade.calificativ)


def _ceil(value: Fraction) -> int:
    return -(-value.numerator // value.denominator)
