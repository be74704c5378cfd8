"""Reads of grades, absences and averages: the class gradebook, a student's year, and the
year's standings (averages, conduct, status) computed by the year's rule set.

Query counts do not grow with the number of students or grades: each reader loads its
rows in a fixed number of queries and groups them in Python."""

from catalog.grades.selectors.gradebook import (
    NOTHING_BROUGHT,
    GradebookRow,
    Unexcused,
    absences_brought,
    class_unexcused,
    gradebook,
)
from catalog.grades.selectors.standings import (
    ClassOverview,
    Discipline,
    Standing,
    class_overview,
    class_standings,
    conduct_due,
    discipline_name,
    disciplines_of,
    repeaters,
)
from catalog.grades.selectors.student_year import ModuleYear, StudentYear, SubjectYear, conduct_record, student_year
from catalog.grades.selectors.year_end import conduct_shown, descriptive_texts, exams_pending, year_classes

__all__ = [
    "NOTHING_BROUGHT",
    "ClassOverview",
    "Discipline",
    "GradebookRow",
    "ModuleYear",
    "Standing",
    "StudentYear",
    "SubjectYear",
    "Unexcused",
    "absences_brought",
    "class_overview",
    "class_standings",
    "class_unexcused",
    "conduct_due",
    "conduct_record",
    "conduct_shown",
    "descriptive_texts",
    "discipline_name",
    "disciplines_of",
    "exams_pending",
    "gradebook",
    "repeaters",
    "student_year",
    "year_classes",
]
