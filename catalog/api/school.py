"""The school API's structure resources, read in a few queries whatever the school's size."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch

from accounts.models import User
from accounts.roles import Role
from catalog.api.resources import Filters
from catalog.exports.siiir import siiir_dataset
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    LearningPeriod,
    SchoolClass,
    SchoolYear,
    TeachingAssignment,
)
from catalog.structure.selectors import year_current


def school_out(tenant) -> dict:
    identity = SchoolIdentity.of(tenant)
    periods = LearningPeriod.objects.prefetch_related("variations").order_by("number")
    years = SchoolYear.objects.prefetch_related(Prefetch("periods", queryset=periods), "holidays").order_by("starts")
    return {
        "name": identity.name, "siiir_code": identity.siiir_code or None, "cui": identity.cui,
        "county": identity.county, "locality": identity.locality,
        "years": [
            {
                "id": year.pk, "name": year.name, "starts": year.starts, "ends": year.ends,
                "structure": year.structure, "legacy": year.legacy, "closed": year.is_closed,
                "periods": [
                    {
                        "id": period.pk, "number": period.number, "name": period.name, "starts": period.starts,
                        "ends": period.ends,
                        "variations": [
                            {"level": v.level, "technological": v.technological, "ends": v.ends}
                            for v in period.variations.all()
                        ],
                    }
                    for period in year.periods.all()
                ],
                "holidays": [{"name": h.name, "starts": h.starts, "ends": h.ends} for h in year.holidays.all()],
            }
            for year in years
        ],
    }  # fmt: skip


def structure_classes(year: SchoolYear | None) -> list[dict]:
    classes = SchoolClass.objects.order_by("year__starts", "level", "letter")
    if year is not None:
        classes = classes.filter(year=year)
    return [
        {
            "id": c.pk, "year_id": c.year_id, "level": c.level, "letter": c.letter, "name": str(c),
            "technological": c.technological, "scheme": c.scheme, "homeroom_id": c.homeroom_id,
        }
        for c in classes
    ]  # fmt: skip


def structure_curriculum(filters: Filters) -> list[dict]:
    entries = CurriculumEntry.objects.order_by("school_class_id", "subject__position", "subject__name")
    modules = CurricularModule.objects.order_by("starts", "name")
    if filters.school_class is not None:
        entries, modules = (
            entries.filter(school_class=filters.school_class),
            modules.filter(school_class=filters.school_class),
        )
    elif filters.year is not None:
        entries, modules = (
            entries.filter(school_class__year=filters.year),
            modules.filter(school_class__year=filters.year),
        )
    by_subject = defaultdict(list)
    for module in modules:
        by_subject[module.school_class_id, module.subject_id].append(
            {"id": module.pk, "name": module.name, "total_hours": module.total_hours, "starts": module.starts,
             "ends": module.ends}
        )  # fmt: skip
    return [
        {
            "class_id": e.school_class_id, "subject_id": e.subject_id, "weekly_hours": e.weekly_hours,
            "yearly_hours": e.yearly_hours, "modules": by_subject[e.school_class_id, e.subject_id],
        }
        for e in entries
    ]  # fmt: skip


def structure_teachers(year: SchoolYear | None) -> list[dict]:
    """Who teaches: the school's teachers (a name and their assignments, nothing personal)."""
    assignments = TeachingAssignment.objects.order_by("school_class_id", "subject_id")
    homerooms = SchoolClass.objects.filter(homeroom__isnull=False).order_by("pk")
    if year is not None:
        assignments, homerooms = assignments.filter(school_class__year=year), homerooms.filter(year=year)
    taught, led = defaultdict(list), defaultdict(list)
    for assignment in assignments.values("teacher_id", "school_class_id", "subject_id"):
        taught[assignment["teacher_id"]].append(
            {"class_id": assignment["school_class_id"], "subject_id": assignment["subject_id"]}
        )
    for class_id, homeroom_id in homerooms.values_list("pk", "homeroom_id"):
        led[homeroom_id].append(class_id)
    teachers = (
        (User.objects.filter(roles__overlap=[Role.TEACHER, Role.HOMEROOM]) | User.objects.filter(pk__in=set(taught)))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )
    return [
        {
            "id": t.pk, "first_name": t.first_name, "last_name": t.last_name, "assignments": taught[t.pk],
            "homeroom_class_ids": led[t.pk],
        }
        for t in teachers.only("pk", "first_name", "last_name")
    ]  # fmt: skip


def siiir_out(tenant, year: SchoolYear | None) -> dict:
    """The SIIIR export (catalog.exports.siiir) as JSON: the same sheets the files hold."""
    year = year or year_current() or SchoolYear.objects.order_by("-starts").first()
    identity = SchoolIdentity.of(tenant)
    school = {"siiir_code": identity.siiir_code, "name": identity.name, "cui": identity.cui,
              "county": identity.county, "locality": identity.locality}  # fmt: skip
    if year is None:
        return {"school": school, "year": "", "generated_at": datetime.now().astimezone(), "sheets": []}
    dataset = siiir_dataset(school=identity, year=year)
    return {
        "school": school, "year": year.name, "generated_at": dataset.generated_at,
        "sheets": [
            {"name": sheet.name, "columns": list(sheet.columns), "rows": [list(map(_cell, row)) for row in sheet.rows]}
            for sheet in dataset.sheets
        ],
    }  # fmt: skip


def _cell(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
