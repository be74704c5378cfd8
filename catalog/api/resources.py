"""What the school API lists: each resource's rows, the filters it takes, the scope it needs
and how a row becomes an item. A row is read the same way from the table (a full listing)
and from its history table (a sync window): by column, with `values()`, so both give the
same item for the same state.

Filters are conditions on a row's own columns (a year is the set of its classes, a period an
interval of days), so that they hold for a deleted row's last state as well (its tombstone).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import models
from django.db.models import Q

from accounts.models import User
from catalog.api.models import Scope
from catalog.attendance.models import Absence
from catalog.grades.models import Average, ConductGrade, Exam, Grade, YearResult
from catalog.structure.models import Enrolment, LearningPeriod, SchoolClass, SchoolYear, Student


@dataclass(frozen=True)
class Filters:
    """The listing's filters, resolved: unknown ids were refused before."""

    year: SchoolYear | None = None
    period: LearningPeriod | None = None
    school_class: SchoolClass | None = None
    student: int | None = None
    subject: int | None = None

    def fingerprint(self) -> list:
        return [
            self.year and self.year.pk, self.period and self.period.pk, self.school_class and self.school_class.pk,
            self.student, self.subject,
        ]  # fmt: skip


@dataclass(frozen=True)
class Condition:
    column: str
    values: list  # one value: equal; several: any of them; ("between", a, b): a range

    def q(self) -> Q:
        if self.values and self.values[0] == "between":
            return Q(**{f"{self.column}__range": (self.values[1], self.values[2])})
        if len(self.values) == 1:
            return Q(**{self.column: self.values[0]})
        return Q(**{f"{self.column}__in": self.values})

    def sql(self) -> tuple[str, list]:
        column = f'e."{self.column}"'
        if self.values and self.values[0] == "between":
            return f"{column} BETWEEN %s AND %s", [self.values[1], self.values[2]]
        return f"{column} = ANY(%s)", [list(self.values)]


def _year_classes(year: SchoolYear) -> list[int]:
    return list(SchoolClass.objects.filter(year=year).values_list("pk", flat=True)) or [0]


def _students_of(filters: Filters) -> list[int]:
    enrolments = Enrolment.objects.all()
    if filters.school_class is not None:
        enrolments = enrolments.filter(school_class=filters.school_class)
    elif filters.year is not None:
        enrolments = enrolments.filter(school_class__year=filters.year)
    return sorted(set(enrolments.values_list("student_id", flat=True))) or [0]


def class_conditions(filters: Filters, *, dated: str = "", period_column: str = "") -> list[Condition]:
    """Conditions on a row of a class's catalog (it has school_class_id and student_id)."""
    conditions = []
    if filters.school_class is not None:
        conditions.append(Condition("school_class_id", [filters.school_class.pk]))
    elif filters.year is not None:
        conditions.append(Condition("school_class_id", _year_classes(filters.year)))
    if filters.student is not None:
        conditions.append(Condition("student_id", [filters.student]))
    if filters.subject is not None:
        conditions.append(Condition("subject_id", [filters.subject]))
    if filters.period is not None:
        if period_column:
            conditions.append(Condition(period_column, [filters.period.pk]))
        elif dated:
            conditions.append(Condition(dated, ["between", filters.period.starts, filters.period.ends]))
    return conditions


def _value(row: dict) -> dict:
    return {"value": row["value"], "calificativ": row["calificativ"] or None}


@dataclass(frozen=True)
class Resource:
    name: str
    scope: str
    model: type[models.Model]
    columns: tuple[str, ...]
    item: Callable[[dict, dict], dict]
    conditions: Callable[[Filters], list[Condition]]
    filters: frozenset[str]  # the filter parameters it takes
    # Rows for every item at once (names of students' accounts): rows -> context for `item`.
    context: Callable[[list[dict], bool], dict] = field(default=lambda rows, personal: {})
    # More ids changed in a window: SQL with %s for (since.xmin, until, since) (student accounts).
    extra_changed: str = ""

    @property
    def history_table(self) -> str:
        return self.model.pgh_event_model._meta.db_table

    def rows(self, ids_or_q, *, history: bool = False) -> list[dict]:
        model = self.model.pgh_event_model if history else self.model
        key = "pgh_id" if history else "pk"
        query = model.objects.filter(**{f"{key}__in": ids_or_q}) if isinstance(ids_or_q, list) else ids_or_q
        return list(query.values(*self.columns))

    def items(self, rows: list[dict], *, personal: bool) -> list[dict]:
        context = self.context(rows, personal)
        return [self.item(row, context) for row in rows]


def _grade(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "subject_id": row["subject_id"], "module_id": row["module_id"], "teacher_id": row["teacher_id"],
        **_value(row), "on": row["on"], "kind": row["kind"] or None, "transcribed": row["transcription_id"] is not None,
    }  # fmt: skip


def _absence(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "subject_id": row["subject_id"], "teacher_id": row["teacher_id"], "on": row["on"], "hour": row["hour"],
        "excused": row["excusal_id"] is not None, "excusal_id": row["excusal_id"],
    }  # fmt: skip


def _average(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "subject_id": row["subject_id"], "module_id": row["module_id"],
        "kind": "module" if row["module_id"] else "annual", **_value(row), "closed_at": row["closed_at"],
    }  # fmt: skip


def _conduct(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "period_id": row["period_id"], **_value(row),
    }  # fmt: skip


def _exam(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "subject_id": row["subject_id"], "module_id": row["module_id"], "kind": row["kind"], "on": row["on"],
        "absent": row["absent"], **_value(row),
    }  # fmt: skip


def _year_result(row: dict, context: dict) -> dict:
    average = row["general_average"]
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "status": row["status"], "general_average": f"{average:.2f}" if average is not None else None,
        "conduct": row["conduct"] or None, "averages": row["averages"], "failed": row["failed"],
        "deferred": row["deferred"], "decided_at": row["decided_at"],
    }  # fmt: skip


def _enrolment(row: dict, context: dict) -> dict:
    return {
        "id": row["id"], "student_id": row["student_id"], "class_id": row["school_class_id"],
        "starts": row["starts"], "ends": row["ends"], "entry": row["entry"], "exit": row["exit"] or None,
    }  # fmt: skip


def _student_context(rows: list[dict], personal: bool) -> dict:
    columns = ["id", "first_name", "last_name"] + (["birth_date"] if personal else [])
    users = User.objects.filter(pk__in=[row["user_id"] for row in rows]).values(*columns)
    return {user["id"]: user for user in users} | {"personal": personal}


def _student(row: dict, context: dict) -> dict:
    user = context.get(row["user_id"], {})
    item = {
        "id": row["id"], "register_number": row["register_number"], "cycle": row["cycle"],
        "first_name": user.get("first_name", ""), "last_name": user.get("last_name", ""),
    }  # fmt: skip
    if context["personal"]:
        birth: date | None = user.get("birth_date")
        item |= {"cnp": row["cnp"], "birth_date": birth}
    return item


def _student_conditions(filters: Filters) -> list[Condition]:
    conditions = []
    if filters.school_class is not None or filters.year is not None:
        conditions.append(Condition("id", _students_of(filters)))
    if filters.student is not None:
        conditions.append(Condition("id", [filters.student]))
    return conditions


CATALOG_ROW = ("id", "student_id", "school_class_id")
CLASS_FILTERS = frozenset({"year", "class", "student"})

GRADES = Resource(
    "grades", Scope.GRADES, Grade,
    (*CATALOG_ROW, "subject_id", "module_id", "teacher_id", "value", "calificativ", "on", "kind", "transcription_id"),
    _grade, lambda f: class_conditions(f, dated="on"), CLASS_FILTERS | {"period", "subject"},
)  # fmt: skip
ABSENCES = Resource(
    "absences", Scope.ABSENCES, Absence,
    (*CATALOG_ROW, "subject_id", "teacher_id", "on", "hour", "excusal_id"),
    _absence, lambda f: class_conditions(f, dated="on"), CLASS_FILTERS | {"period", "subject"},
)  # fmt: skip
AVERAGES = Resource(
    "averages", Scope.GRADES, Average,
    (*CATALOG_ROW, "subject_id", "module_id", "value", "calificativ", "closed_at"),
    _average, class_conditions, CLASS_FILTERS | {"subject"},
)  # fmt: skip
CONDUCT = Resource(
    "conduct", Scope.GRADES, ConductGrade, (*CATALOG_ROW, "period_id", "value", "calificativ"),
    _conduct, lambda f: class_conditions(f, period_column="period_id"), CLASS_FILTERS | {"period"},
)  # fmt: skip
EXAMS = Resource(
    "exams", Scope.GRADES, Exam,
    (*CATALOG_ROW, "subject_id", "module_id", "kind", "on", "absent", "value", "calificativ"),
    _exam, class_conditions, CLASS_FILTERS | {"subject"},
)  # fmt: skip
YEAR_RESULTS = Resource(
    "year-results", Scope.GRADES, YearResult,
    (*CATALOG_ROW, "status", "general_average", "conduct", "averages", "failed", "deferred", "decided_at"),
    _year_result, class_conditions, CLASS_FILTERS,
)  # fmt: skip
ENROLMENTS = Resource(
    "enrolments", Scope.STUDENTS, Enrolment, (*CATALOG_ROW, "starts", "ends", "entry", "exit"),
    _enrolment, class_conditions, CLASS_FILTERS,
)  # fmt: skip
STUDENTS = Resource(
    "students", Scope.STUDENTS, Student, ("id", "user_id", "cnp", "cycle", "register_number"),
    _student, _student_conditions, CLASS_FILTERS, context=_student_context,
    extra_changed=(
        "SELECT s.id FROM structure_student s JOIN accounts_userevent u ON u.pgh_obj_id = s.user_id"
        " WHERE u.pgh_xid >= %s AND pg_visible_in_snapshot(u.pgh_xid::text::xid8, %s::pg_snapshot)"
        " AND NOT pg_visible_in_snapshot(u.pgh_xid::text::xid8, %s::pg_snapshot)"
    ),
)  # fmt: skip

SYNCED = (GRADES, ABSENCES, AVERAGES, CONDUCT, EXAMS, YEAR_RESULTS, ENROLMENTS, STUDENTS)
