"""Writes of grades, calificative, closed averages and conduct grades.

Each is one atomic action: checks (who, where, when, what), the change, and its audit
event in the same transaction. Modifying or deleting needs a reason (Order art. 16(2)).
"""

from collections import Counter
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from accounts.services import NotAllowed
from audit.actions import Action
from audit.services import audit_record
from catalog.attendance.models import Absence
from catalog.grades import averages
from catalog.grades.models import CALIFICATIVE_CHOICES, Average, ConductGrade, DescriptiveReport, Grade
from catalog.grades.selectors import conduct_due
from catalog.notify.models import Kind
from catalog.notify.services import (
    families_notify,
    grade_corrected_text,
    grade_text,
    notifications_cancel,
    notifications_retell,
)  # fmt: skip
from catalog.structure.guards import (
    NOT_ENROLLED,
    date_check,
    reason_check,
    require_homeroom,
    require_results_open,
    require_writer,
    under_grant,
    undo_check,
)
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Exemption,
    LearningPeriod,
    Scheme,
    SchoolClass,
    Student,
    Subject,
)
from catalog.structure.selectors import class_ends, exemption_of, is_enrolled, record_of

GRADE_INVALID = _("Nota trebuie să fie un număr întreg de la 1 la 10.")
CALIFICATIV_INVALID = _("Calificativul trebuie să fie FB, B, S sau I.")
DESCRIPTIVE_ONLY = _("La clasa pregătitoare nu se dau note: evaluarea se face prin raportul descriptiv.")
EXEMPT = _("Elevul este scutit la această disciplină ({kind}): nu primește note.")
LEFT_CLASS = _("Elevul nu este (sau nu mai este) în această clasă: media lui se încheie în clasa în care învață acum.")
AVERAGE_CLOSED = _("Media la această disciplină este încheiată: notele nu se mai pot schimba.")
MODULE_RUNNING = _("Modulul se termină pe {ends}: media lui se încheie de atunci încolo.")
IN_MODULES = _("La {subject} mediile se încheie pe module: fiecare modul are media lui.")
MODULE_MISMATCH = _("Modulul nu aparține acestei discipline și clase, sau data nu este în perioada lui.")
ABSENT_THAT_DAY = _("Atenție: elevul are absență la această disciplină în ziua notei.")
TOO_FEW_GRADES = _("Sunt {count} note; pentru încheierea mediei sunt necesare cel puțin {minimum}.")
NO_GRADES = _("Elevul nu are note la această disciplină: media nu se poate încheia.")
ALREADY_CLOSED = _("Media este deja încheiată.")
ONLY_DIRECTOR = _("Doar directorul poate redeschide o medie încheiată.")
AT_RISK_NO_LATE_GRADE = _(
    "Media este sub 5: elevul în situație de corigență trebuie să mai primească o notă în ultimele "
    "3 săptămâni de cursuri."
)
THESIS_LEGACY_ONLY = _("Teza se dădea doar până în anul școlar 2021-2022 (reguli vechi); acum nu mai există.")
CALIFICATIV_TIE = _(
    "Calificativele {tied} au fost date de tot atâtea ori: alegeți calificativul anual (sistemul nu îl propune)."
)
PERIOD_OTHER_YEAR = _("Perioada aleasă nu este din anul școlar al clasei.")
TRANSCRIBED = _(
    "Nota este transcrisă din situația școlară de la altă școală: dirigintele o corectează refăcând transcrierea."
)


def value_parse(text: str, *, scheme: str) -> tuple[int | None, str]:
    """(value, calificativ) from what a person typed, for a class evaluated by `scheme`."""
    text = (text or "").strip().upper()
    if scheme == Scheme.DESCRIPTIVE:
        raise ValidationError(DESCRIPTIVE_ONLY, code="descriptive")
    if scheme == Scheme.CALIFICATIVE:
        if text not in averages.CALIFICATIVE:
            raise ValidationError(CALIFICATIV_INVALID, code="calificativ")
        return None, text
    # ASCII digits only: "7.5", "10a", "٧" and " 1 0" are all refused.
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 10 and text == str(int(text))):
        raise ValidationError(GRADE_INVALID, code="value")
    return int(text), ""


def _value_check(value: int | None, calificativ: str, scheme: str) -> None:
    if scheme == Scheme.DESCRIPTIVE:
        raise ValidationError(DESCRIPTIVE_ONLY, code="descriptive")
    if scheme == Scheme.CALIFICATIVE:
        if value is not None or calificativ not in averages.CALIFICATIVE:
            raise ValidationError(CALIFICATIV_INVALID, code="calificativ")
    elif calificativ or type(value) is not int or not 1 <= value <= 10:
        raise ValidationError(GRADE_INVALID, code="value")


def _exemption_check(student: Student, school_class: SchoolClass, subject: Subject) -> None:
    """Rule 7: no grades for a medically exempt student, nor at religion without the option."""
    exemption = exemption_of(student, school_class.year, subject)
    if exemption is not None and exemption.kind in (Exemption.Kind.MEDICAL, Exemption.Kind.NO_RELIGION):
        raise ValidationError(EXEMPT.format(kind=exemption.get_kind_display()), code="exempt")


def _average_open_check(student: Student, school_class: SchoolClass, subject: Subject, module) -> None:
    # The year's average, wherever closed: a grade of the class a student moved from counts in
    # the new class's average (`record_of`), and closing that one locks it too.
    closed = Average.objects.filter(
        student=student, school_class__year=school_class.year_id, subject=subject, closed=True
    )
    # A closed annual average locks every grade; a closed module average locks that module's.
    if closed.filter(module__isnull=True).exists() or (module and closed.filter(module=module).exists()):
        raise ValidationError(AVERAGE_CLOSED, code="closed")


def _module_check(module: CurricularModule | None, school_class: SchoolClass, subject: Subject, on: date) -> None:
    if module is None:
        return
    if (
        module.school_class_id != school_class.pk
        or module.subject_id != subject.pk
        or not module.starts <= on <= module.ends
    ):
        raise ValidationError(MODULE_MISMATCH, code="module")


def _grade_snapshot(grade: Grade) -> dict:
    return {
        "value": grade.value, "calificativ": grade.calificativ, "on": grade.on, "kind": grade.kind,
        "subject": grade.subject.name, "class": str(grade.school_class), "module": grade.module_id,
    }  # fmt: skip


def grade_add(
    *, teacher: User, student: Student, school_class: SchoolClass, subject: Subject, on: date,
    value: int | None = None, calificativ: str = "", kind: str = "", module: CurricularModule | None = None,
) -> Grade:  # fmt: skip
    """A new grade (or calificativ). Its `warnings` list what the teacher should look at again."""
    assignment = require_writer(teacher, school_class, subject)
    require_results_open(school_class)
    _value_check(value, calificativ, school_class.scheme)
    date_check(on, school_class)
    if kind and kind not in Grade.Kind.values:
        raise ValidationError(_("Tipul notei nu este valid."), code="kind")
    if kind == Grade.Kind.THESIS and not school_class.year.legacy:
        raise ValidationError(THESIS_LEGACY_ONLY, code="kind")
    if not is_enrolled(student, school_class, on):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    _exemption_check(student, school_class, subject)
    _module_check(module, school_class, subject, on)
    with transaction.atomic():
        _average_open_check(student, school_class, subject, module)
        grade = Grade.objects.create(
            student=student, school_class=school_class, subject=subject, teacher=teacher, value=value,
            calificativ=calificativ, on=on, kind=kind, module=module,
        )  # fmt: skip
        audit_record(
            action=Action.GRADE_ADDED, actor=teacher, obj=grade, person=student.user,
            new=_grade_snapshot(grade) | under_grant(assignment),
        )  # fmt: skip
        families_notify(kind=Kind.GRADE, student=student, source=f"grade:{grade.pk}",
                        text=grade_text(student=student, subject=subject, shown=grade.shown, on=on))  # fmt: skip
    grade.warnings = _grade_warnings(grade)
    return grade


def _not_transcribed(grade: Grade) -> None:
    if grade.transcription_id is not None:
        raise ValidationError(TRANSCRIBED, code="transcribed")


def _grade_warnings(grade: Grade) -> list[str]:
    """Rule 2: a grade on a day the student was absent at that subject is suspicious."""
    absent = Absence.objects.filter(student=grade.student_id, subject=grade.subject_id, on=grade.on).exists()
    return [str(ABSENT_THAT_DAY)] if absent else []


def grade_change(
    *, teacher: User, grade: Grade, reason: str, value: int | None = None, calificativ: str = "", on: date | None = None
) -> Grade:
    """Correct a grade's value (and date); the old and new values and the reason are audited."""
    assignment = require_writer(teacher, grade.school_class, grade.subject)
    _not_transcribed(grade)
    require_results_open(grade.school_class)
    reason = reason_check(reason)
    _value_check(value, calificativ, grade.school_class.scheme)
    on = on or grade.on
    date_check(on, grade.school_class)
    _module_check(grade.module, grade.school_class, grade.subject, on)
    with transaction.atomic():
        _average_open_check(grade.student, grade.school_class, grade.subject, grade.module)
        old = _grade_snapshot(grade)
        grade.value, grade.calificativ, grade.on = value, calificativ, on
        grade.save(update_fields=["value", "calificativ", "on"])
        audit_record(
            action=Action.GRADE_CHANGED, actor=teacher, obj=grade, person=grade.student.user,
            old=old, new=_grade_snapshot(grade) | under_grant(assignment), reason=reason,
        )  # fmt: skip
        told = {"student": grade.student, "subject": grade.subject, "shown": grade.shown, "on": on}
        notifications_retell(kind=Kind.GRADE, student=grade.student, source=f"grade:{grade.pk}",
                             text=grade_text(**told), correction=grade_corrected_text(**told))  # fmt: skip
    return grade


def grade_delete(*, teacher: User, grade: Grade, reason: str) -> None:
    assignment = require_writer(teacher, grade.school_class, grade.subject)
    _not_transcribed(grade)
    require_results_open(grade.school_class)
    reason = reason_check(reason)
    with transaction.atomic():
        _average_open_check(grade.student, grade.school_class, grade.subject, grade.module)
        audit_record(
            action=Action.GRADE_DELETED, actor=teacher, obj=grade, person=grade.student.user,
            old=_grade_snapshot(grade), new=under_grant(assignment), reason=reason,
        )  # fmt: skip
        notifications_cancel(source=f"grade:{grade.pk}")
        grade.delete()


def grade_undo(*, teacher: User, grade: Grade, now=None) -> None:
    """The teacher takes back the grade they added less than a minute ago: deleted and audited
    as a correction with the reason "anulat imediat"; its notice, held a minute, never goes."""
    reason = undo_check(actor=teacher, author_id=grade.teacher_id, created_at=grade.created_at, now=now)
    grade_delete(teacher=teacher, grade=grade, reason=reason)


def _grades_for(student: Student, school_class: SchoolClass, subject: Subject, module) -> list[Grade]:
    """The grades an average is computed from: a module's own, or the year's at the subject
    (with those given before a move from a parallel class, `record_of`)."""
    if module:
        return list(Grade.objects.filter(student=student, school_class=school_class, subject=subject, module=module))
    enrolments = Enrolment.objects.filter(student=student, school_class=school_class)
    return list(Grade.objects.filter(record_of(school_class, enrolments), student=student, subject=subject))


def average_close(
    *, teacher: User, student: Student, school_class: SchoolClass, subject: Subject,
    module: CurricularModule | None = None, calificativ: str = "",
) -> Average:  # fmt: skip
    """Close the student's annual (or module) average at `subject`: computed from the grades
    (rule 3/4), or, for calificative, the teacher's choice with the suggestion kept (rule 9).
    Its `warnings` say when there are fewer grades than the minimum (rule 5, when it only warns)."""
    require_writer(teacher, school_class, subject)
    require_results_open(school_class)
    # A student who left closes the year in the class (or school) they went to: an annual
    # average closed here would count there and lock the grades the new class gives them. (A
    # module's average covers that module's grades, which stay here: it may still be closed.)
    left = not Enrolment.objects.filter(student=student, school_class=school_class, ends__isnull=True).exists()
    if module is None and left:
        raise ValidationError(LEFT_CLASS, code="left")
    _exemption_check(student, school_class, subject)
    if module is not None and (module.school_class_id != school_class.pk or module.subject_id != subject.pk):
        raise ValidationError(MODULE_MISMATCH, code="module")
    if module is None and _taught_in_modules(school_class, subject):  # rule 4: each module its own average
        raise ValidationError(IN_MODULES.format(subject=subject.name), code="in_modules")
    if module is not None and timezone.localdate() < module.ends:  # rule 4: closed when the module ends
        raise ValidationError(MODULE_RUNNING.format(ends=f"{module.ends:%d.%m.%Y}"), code="module_running")
    grades = _grades_for(student, school_class, subject, module)
    warnings = _minimum_check(grades, school_class, subject, module)
    value, suggested = None, ""
    if school_class.scheme == Scheme.CALIFICATIVE:
        suggested = averages.suggest_calificativ([g.calificativ for g in grades]) or ""
        calificativ = (calificativ or suggested).strip().upper()
        if not calificativ:  # rule 9: a tie is the teacher's to decide
            raise ValidationError(CALIFICATIV_TIE.format(tied=_tied([g.calificativ for g in grades])), code="tie")
        _value_check(None, calificativ, school_class.scheme)
    else:
        if school_class.scheme == Scheme.DESCRIPTIVE:
            raise ValidationError(DESCRIPTIVE_ONLY, code="descriptive")
        calificativ, value = "", averages.annual_average([g.value for g in grades])
    if module is None:
        warnings += _late_grade_check(grades, school_class, value, calificativ)
    with transaction.atomic():
        average, created = Average.objects.select_for_update().get_or_create(
            student=student, school_class=school_class, subject=subject, module=module,
            defaults={"value": value, "calificativ": calificativ, "closed_by": teacher, "closed": False},
        )  # fmt: skip
        if average.closed and not created:
            raise ValidationError(ALREADY_CLOSED, code="closed")
        old = {"value": average.value, "calificativ": average.calificativ} if not created else {}
        average.value, average.calificativ, average.closed, average.closed_by = value, calificativ, True, teacher
        average.suggested = suggested if suggested != calificativ else ""
        average.save()
        audit_record(
            action=Action.AVERAGE_CLOSED, actor=teacher, obj=average, person=student.user, old=old,
            new={"subject": subject.name, "module": module and module.name, "value": value,
                 "calificativ": calificativ, "suggested": suggested, "grades": len(grades)},
        )  # fmt: skip
    average.warnings = warnings
    return average


def _tied(values: list[str]) -> str:
    """The calificative given most often, equally often: "FB, B"."""
    ranked = Counter(values).most_common()
    return ", ".join(value for value, count in ranked if count == ranked[0][1])


def _taught_in_modules(school_class: SchoolClass, subject: Subject) -> bool:
    return (
        school_class.technological
        and CurricularModule.objects.filter(school_class=school_class, subject=subject).exists()
    )


def _late_grade_check(grades: list[Grade], school_class: SchoolClass, value, calificativ: str) -> list[str]:
    """Rule 5: a failing average needs one more grade in the last 3 weeks of classes (warns)."""
    failing = (value is not None and value < averages.PASSING_GRADE) or calificativ == averages.FAILING_CALIFICATIV
    last_weeks = class_ends(school_class) - timedelta(weeks=3)
    if failing and not any(g.on > last_weeks for g in grades):
        return [str(AT_RISK_NO_LATE_GRADE)]
    return []


def _minimum_check(grades: list[Grade], school_class: SchoolClass, subject: Subject, module) -> list[str]:
    """Rule 5: fewer grades than the minimum warns, or blocks when the rule set says so."""
    if not grades:
        raise ValidationError(NO_GRADES, code="no_grades")
    if module is not None:
        minimum = averages.module_minimum_grades(total_hours=module.total_hours)
    else:
        entry = CurriculumEntry.objects.filter(school_class=school_class, subject=subject).first()
        minimum = averages.minimum_grades(weekly_hours=entry.weekly_hours if entry else 1)
    if len(grades) >= minimum:
        return []
    message = TOO_FEW_GRADES.format(count=len(grades), minimum=minimum)
    if school_class.year.rule_set.min_grades_block:
        raise ValidationError(message, code="too_few")
    return [str(message)]


def average_reopen(*, actor: User, average: Average, reason: str) -> None:
    """Rule 12: only the director reopens a closed average, with a reason."""
    if not actor.has_role(Role.DIRECTOR):
        raise NotAllowed(ONLY_DIRECTOR)
    require_results_open(average.school_class)
    reason = reason_check(reason)
    with transaction.atomic():
        average.closed = False
        average.save(update_fields=["closed"])
        audit_record(
            action=Action.AVERAGE_REOPENED, actor=actor, obj=average, person=average.student.user,
            old={"value": average.value, "calificativ": average.calificativ, "subject": average.subject.name},
            reason=reason,
        )  # fmt: skip


def conduct_set(
    *, homeroom: User, student: Student, school_class: SchoolClass, period: LearningPeriod,
    value: int | None = None, calificativ: str = "", reason: str = "",
) -> ConductGrade:  # fmt: skip
    """Rule 10: the homeroom teacher's conduct grade for a period; changing one needs a reason."""
    require_homeroom(homeroom, school_class)
    require_results_open(school_class)
    if period.year_id != school_class.year_id:
        raise ValidationError(PERIOD_OTHER_YEAR, code="period")
    _value_check(value, calificativ, school_class.scheme)
    enrolments = Enrolment.objects.filter(student=student, school_class=school_class)
    if not any(conduct_due(enrolment, period, school_class.year.ends) for enrolment in enrolments):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    with transaction.atomic():
        conduct = (
            ConductGrade.objects.select_for_update()
            .filter(student=student, school_class=school_class, period=period)
            .first()
        )
        old = {}
        if conduct is not None:
            reason = reason_check(reason)
            old = {"value": conduct.value, "calificativ": conduct.calificativ}
        else:
            conduct = ConductGrade(student=student, school_class=school_class, period=period)
        conduct.value, conduct.calificativ, conduct.set_by = value, calificativ, homeroom
        conduct.save()
        audit_record(
            action=Action.CONDUCT_SET, actor=homeroom, obj=conduct, person=student.user, old=old,
            new={"period": period.name, "value": value, "calificativ": calificativ}, reason=reason,
        )  # fmt: skip
    return conduct


CONDUCT_VALUE_INVALID = _("Nota la purtare aleasă nu este validă.")


def conduct_choices(school_class: SchoolClass) -> list[str]:
    """The conduct grades a class's scheme allows, as a form offers them (10..1, or FB..I)."""
    if school_class.scheme == Scheme.CALIFICATIVE:
        return [value for value, _label in CALIFICATIVE_CHOICES]
    return [str(value) for value in range(10, 0, -1)]


def conduct_set_many(
    *, homeroom: User, school_class: SchoolClass, period: LearningPeriod, chosen: dict[Student, str], reason: str = ""
) -> list[ConductGrade]:
    """Rule 10 for a whole class at once: each student's chosen conduct grade (as the form
    sends it) where it differs from the one already set; all or nothing, a refusal naming
    its student. Returns the grades written."""
    allowed = set(conduct_choices(school_class))
    current = {c.student_id: c.shown for c in ConductGrade.objects.filter(school_class=school_class, period=period)}
    changes = [(student, value) for student, value in chosen.items() if value and value != current.get(student.pk)]
    if any(value not in allowed for _student, value in changes):
        raise ValidationError(CONDUCT_VALUE_INVALID, code="value")
    numeric = school_class.scheme == Scheme.GRADES
    written = []
    with transaction.atomic():
        for student, value in changes:
            try:
                conduct = conduct_set(
                    homeroom=homeroom, student=student, school_class=school_class, period=period,
                    value=int(value) if numeric else None, calificativ="" if numeric else value, reason=reason,
                )  # fmt: skip
            except ValidationError as error:
                raise ValidationError(f"{student}: {' '.join(error.messages)}", code=error.code) from error
            written.append(conduct)
    return written


REPORT_PREPARATORY_ONLY = _("Raportul descriptiv se scrie doar la clasa pregătitoare.")
REPORT_TEXT = _("Scrieți evaluarea (cel mult 2000 de caractere).")
REPORT_AREA = _("Domeniul de dezvoltare nu este valid.")


def descriptive_report_set(
    *, homeroom: User, student: Student, school_class: SchoolClass, area: str, text: str, reason: str = ""
) -> DescriptiveReport:
    """Rule 1: the preparatory class teacher's evaluation of one development area; rewriting
    a text already given needs a reason."""
    require_homeroom(homeroom, school_class)
    require_results_open(school_class)
    if school_class.scheme != Scheme.DESCRIPTIVE:
        raise ValidationError(REPORT_PREPARATORY_ONLY, code="scheme")
    if area not in DescriptiveReport.Area.values:
        raise ValidationError(REPORT_AREA, code="area")
    text = (text or "").strip()
    if not text or len(text) > 2000:
        raise ValidationError(REPORT_TEXT, code="text")
    if not is_enrolled(student, school_class, min(timezone.localdate(), school_class.year.ends)):
        raise ValidationError(NOT_ENROLLED, code="enrolment")
    with transaction.atomic():
        report = (
            DescriptiveReport.objects.select_for_update()
            .filter(student=student, school_class=school_class, area=area)
            .first()
        )
        old = {}
        if report is not None:
            if report.text == text:
                return report
            reason = reason_check(reason)
            old = {"text": report.text}
        else:
            report = DescriptiveReport(student=student, school_class=school_class, area=area)
        report.text, report.written_by = text, homeroom
        report.save()
        audit_record(
            action=Action.DESCRIPTIVE_REPORT_SET, actor=homeroom, obj=report, person=student.user, old=old,
            new={"area": area, "text": text}, reason=reason,
        )  # fmt: skip
    return report


def descriptive_report_save(
    *, homeroom: User, student: Student, school_class: SchoolClass, texts: dict[str, str], reason: str = ""
) -> None:
    """Rule 1: the student's whole evaluation, one text per development area; only the texts
    that changed are written, all or nothing."""
    current = dict(
        DescriptiveReport.objects.filter(student=student, school_class=school_class).values_list("area", "text")
    )
    with transaction.atomic():
        for area, text in texts.items():
            if (text or "").strip() != current.get(area, ""):
                descriptive_report_set(
                    homeroom=homeroom, student=student, school_class=school_class, area=area, text=text, reason=reason
                )
