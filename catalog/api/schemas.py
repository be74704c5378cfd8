"""The school API's documented shapes: what each item holds, and the page around items."""

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, create_model

Calificativ = Literal["FB", "B", "S", "I"]
Value = int | None


class Graded(Schema):
    value: Value = Field(None, ge=1, le=10, description="nota 1–10, sau null pentru calificativ")
    calificativ: Calificativ | None = None


class GradeOut(Graded):
    id: int
    student_id: int
    class_id: int
    subject_id: int
    module_id: int | None
    teacher_id: int
    on: date
    kind: Literal["oral", "written", "practical", "project", "thesis"] | None
    transcribed: bool = Field(description="dată la școala de proveniență și transcrisă (transfer)")


class AbsenceOut(Schema):
    id: int
    student_id: int
    class_id: int
    subject_id: int
    teacher_id: int
    on: date
    hour: int = Field(ge=1, le=14)
    excused: bool
    excusal_id: int | None


class AverageOut(Graded):
    id: int
    student_id: int
    class_id: int
    subject_id: int
    module_id: int | None
    kind: Literal["annual", "module"]
    closed_at: datetime


class ConductOut(Graded):
    id: int
    student_id: int
    class_id: int
    period_id: int


class ExamOut(Graded):
    id: int
    student_id: int
    class_id: int
    subject_id: int
    module_id: int | None
    kind: Literal["resit", "deferred"]
    on: date
    absent: bool


class YearResultOut(Schema):
    id: int
    student_id: int
    class_id: int
    status: Literal["promovat", "corigent", "repetent", "amanat"]
    general_average: str | None = Field(description='media generală cu două zecimale, ca text ("9.47")')
    conduct: str | None
    averages: dict[str, Any]
    failed: list[Any]
    deferred: list[Any]
    decided_at: datetime


class EnrolmentOut(Schema):
    id: int
    student_id: int
    class_id: int
    starts: date
    ends: date | None
    entry: Literal["start", "transfer_in", "moved"]
    exit: Literal["transfer_out", "moved", "withdrawn"] | None


class StudentOut(Schema):
    id: int
    register_number: int
    cycle: str
    first_name: str
    last_name: str
    cnp: str | None = Field(None, description="doar cu dreptul read:personal")
    birth_date: date | None = Field(None, description="doar cu dreptul read:personal")


class PeriodEndOut(Schema):
    level: str
    technological: bool
    ends: date


class PeriodOut(Schema):
    id: int
    number: int
    name: str
    starts: date
    ends: date
    variations: list[PeriodEndOut]


class HolidayOut(Schema):
    name: str
    starts: date
    ends: date


class YearOut(Schema):
    id: int
    name: str
    starts: date
    ends: date
    structure: str
    legacy: bool
    closed: bool
    periods: list[PeriodOut]
    holidays: list[HolidayOut]


class SchoolOut(Schema):
    name: str
    siiir_code: str | None
    cui: str
    county: str
    locality: str
    years: list[YearOut]


class ClassOut(Schema):
    id: int
    year_id: int
    level: str
    letter: str
    name: str
    technological: bool
    scheme: Literal["descriptive", "calificative", "grades"]
    homeroom_id: int | None


class SubjectOut(Schema):
    id: int
    name: str
    short_name: str
    kind: Literal["regular", "religion", "pe"]
    position: int


class ModuleOut(Schema):
    id: int
    name: str
    total_hours: int
    starts: date
    ends: date


class CurriculumOut(Schema):
    class_id: int
    subject_id: int
    weekly_hours: int
    yearly_hours: int
    modules: list[ModuleOut]


class AssignmentOut(Schema):
    class_id: int
    subject_id: int


class TeacherOut(Schema):
    id: int
    first_name: str
    last_name: str
    assignments: list[AssignmentOut]
    homeroom_class_ids: list[int]


class SheetOut(Schema):
    name: str
    columns: list[str]
    rows: list[list[Any]]


class SiiirOut(Schema):
    school: dict[str, str]
    year: str
    generated_at: datetime
    sheets: list[SheetOut]


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """The page of a synced listing: items in id order, ids deleted (a sync window only), the
    next page's cursor, and on the last page the watermark to sync from next time."""
    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),
        deleted=(list[int], Field(description="id-uri șterse în fereastra de sincronizare (tombstones)")),
        next=(str | None, Field(None, description="cursorul paginii următoare; null pe ultima pagină")),
        watermark=(
            str | None,
            Field(None, description="pe ultima pagină: de aici se cere data viitoare (updated_since)"),
        ),
    )


def list_of(item: type[Schema], name: str) -> type[Schema]:
    return create_model(name, __base__=Schema, items=(list[item], ...))
