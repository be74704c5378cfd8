"""Absences a student brought from a school of origin (a transfer in): the counts the school
of origin's record gives per subject, transcribed with its grades (`catalog.grades.
transcriptions`, stored under the transfer's enrolment). They count in the year's absence
rules here (conduct, deferral, rule 17's notices) without days or hours of their own."""

from collections import defaultdict
from dataclasses import dataclass

from catalog.structure.models import Enrolment


@dataclass(frozen=True)
class Brought:
    """Absences a student brought from the school of origin at one subject (a transfer in)."""

    excused: int = 0
    unexcused: int = 0

    @property
    def total(self) -> int:
        return self.excused + self.unexcused

    def __add__(self, other: "Brought") -> "Brought":
        return Brought(self.excused + other.excused, self.unexcused + other.unexcused)


def students_brought(year_id: int, student_ids: list[int]) -> dict[int, dict[int, Brought]]:
    """The absences these students brought this year, whatever their enrolments (the year's
    count of rule 17's notices), per student and subject id. One query."""
    return brought_by_student(Enrolment.objects.filter(
        student__in=student_ids, school_class__year=year_id, transcription__absences__isnull=False
    ).values_list(
        "student_id", "transcription__absences__subject_id", "transcription__absences__excused",
        "transcription__absences__unexcused",
    ))  # fmt: skip


def brought_by_student(rows) -> dict[int, dict[int, Brought]]:
    """(student id, subject id, excused, unexcused) rows summed per student and subject."""
    brought = defaultdict(lambda: defaultdict(Brought))
    for student_id, subject_id, excused, unexcused in rows:
        brought[student_id][subject_id] += Brought(excused, unexcused)
    return brought
