"""OneRoster 1.2 (1EdTech), read-only: the school's roster and closed averages as the tools
schools already use (Microsoft School Data Sync, LMSs) read them, mapped from the catalog.

- orgs: the school (type `school`, identifier its SIIIR code, else its CUI);
- academicSessions: each school year (`schoolYear`) and its periods (`semester` for a year in
  semesters, `term` otherwise), children of the year;
- courses: a subject in a school year; classes: a subject taught to a class (a section, with
  the year's periods as terms);
- users: students and teachers, with their role in the school (1.2's `roles`);
- enrollments: each student in every section of their class (for as long as they are in it),
  each teacher in the sections they teach (`primary`);
- gradebook: one category per kind of average, a line item per section (the annual average)
  and per curricular module, a result per closed average.

sourcedIds are UUIDs derived (uuid5) from the school's schema and the object's own key, so the
same object has the same sourcedId in every export and every call, and never collides with
another school's. Dates follow the binding: end dates are exclusive (the catalog's are
inclusive: a day is added), date-times are UTC with milliseconds.
"""

import csv
import io
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property

from django.db import connection
from django.db.models import Max

from accounts.models import User
from accounts.roles import Role
from catalog.grades.models import Average
from catalog.structure.identity import SchoolIdentity
from catalog.structure.models import (
    CurricularModule,
    CurriculumEntry,
    Enrolment,
    Level,
    SchoolYear,
    Student,
    TeachingAssignment,
)

NAMESPACE = uuid.UUID("7d0f6c2e-52a4-4f3c-9a57-3c1f0e7b9a10")
ROSTERING = "rostering/v1p2"
GRADEBOOK = "gradebook/v1p2"


def sourced_id(kind: str, *key) -> str:
    """The object's sourcedId: stable for the same object, unique across schools."""
    return str(uuid.uuid5(NAMESPACE, "/".join([connection.schema_name, kind, *map(str, key)])))


def moment(value: datetime | date) -> str:
    """A OneRoster date-time: UTC, milliseconds, Z."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min, tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def grade_code(level: str) -> str:
    """The level as OneRoster's (CEDS) grade code: "KG" for the preparatory class, "01"…"13"."""
    return "KG" if level == Level.PREP else level


@dataclass
class Roster:
    """Every OneRoster object of the school, built on demand, each kind in a few queries."""

    school: SchoolIdentity
    base_url: str  # https://<host>/ims/oneroster
    personal: bool = False

    def ref(self, service: str, collection: str, kind: str, sourced: str) -> dict:
        return {"href": f"{self.base_url}/{service}/{collection}/{sourced}", "sourcedId": sourced, "type": kind}

    def org_ref(self) -> dict:
        return self.ref(ROSTERING, "orgs", "org", sourced_id("org"))

    def session_ref(self, kind: str, pk: int) -> dict:
        return self.ref(ROSTERING, "academicSessions", "academicSession", sourced_id(kind, pk))

    @cached_property
    def years(self) -> list[SchoolYear]:
        return list(SchoolYear.objects.prefetch_related("periods").order_by("starts"))

    @cached_property
    def since(self) -> str:
        """When the school's structure was last set up: its first year's start (structure rows
        keep no change times of their own)."""
        return moment(self.years[0].starts) if self.years else moment(date(2000, 1, 1))

    def base(self, sourced: str, modified: str | None = None) -> dict:
        return {"sourcedId": sourced, "status": "active", "dateLastModified": modified or self.since}

    @cached_property
    def orgs(self) -> list[dict]:
        return [
            {**self.base(sourced_id("org")), "name": self.school.name, "type": "school",
             "identifier": self.school.siiir_code or self.school.cui}
        ]  # fmt: skip

    @cached_property
    def academic_sessions(self) -> list[dict]:
        sessions = []
        for year in self.years:
            periods = list(year.periods.all())
            kind = "semester" if year.structure == SchoolYear.Structure.SEMESTERS else "term"
            sessions.append({
                **self.base(sourced_id("year", year.pk)), "title": year.name, "type": "schoolYear",
                "startDate": year.starts.isoformat(), "endDate": (year.ends + timedelta(days=1)).isoformat(),
                "schoolYear": str(year.ends.year),
                "children": [self.session_ref("period", period.pk) for period in periods],
            })  # fmt: skip
            sessions += [
                {**self.base(sourced_id("period", p.pk)), "title": f"{p.name} {year.name}", "type": kind,
                 "startDate": p.starts.isoformat(), "endDate": (p.ends + timedelta(days=1)).isoformat(),
                 "schoolYear": str(year.ends.year), "parent": self.session_ref("year", year.pk)}
                for p in periods
            ]  # fmt: skip
        return sessions

    @cached_property
    def entries(self) -> list[CurriculumEntry]:
        return list(
            CurriculumEntry.objects.select_related("subject", "school_class__year").order_by(
                "school_class__year__starts", "school_class__level", "school_class__letter", "subject__position",
                "subject__name",
            )
        )  # fmt: skip

    def course_id(self, year_id: int, subject_id: int) -> str:
        return sourced_id("course", year_id, subject_id)

    def course_ref(self, year_id: int, subject_id: int) -> dict:
        return self.ref(ROSTERING, "courses", "course", self.course_id(year_id, subject_id))

    def class_id(self, class_id: int, subject_id: int) -> str:
        return sourced_id("class", class_id, subject_id)

    @cached_property
    def courses(self) -> list[dict]:
        seen, courses = set(), []
        for entry in self.entries:
            year, subject = entry.school_class.year, entry.subject
            if (year.pk, subject.pk) in seen:
                continue
            seen.add((year.pk, subject.pk))
            courses.append({
                **self.base(self.course_id(year.pk, subject.pk)), "title": f"{subject.name} {year.name}",
                "courseCode": subject.short_name or subject.name, "schoolYear": self.session_ref("year", year.pk),
                "subjects": [subject.name], "org": self.org_ref(),
            })  # fmt: skip
        return courses

    @cached_property
    def classes(self) -> list[dict]:
        terms = {year.pk: [self.session_ref("period", p.pk) for p in year.periods.all()] for year in self.years}
        return [
            {
                **self.base(self.class_id(e.school_class_id, e.subject_id)),
                "title": f"{e.subject.name} – {e.school_class.short}", "classCode": f"{e.school_class.short}",
                "classType": "scheduled", "grades": [grade_code(e.school_class.level)],
                "subjects": [e.subject.name],
                "course": self.course_ref(e.school_class.year_id, e.subject_id),
                "school": self.org_ref(),
                "terms": terms[e.school_class.year_id] or [self.session_ref("year", e.school_class.year_id)],
            }
            for e in self.entries
        ]  # fmt: skip

    @cached_property
    def sections(self) -> dict[int, list[int]]:
        """Each class's subjects (its sections)."""
        subjects = defaultdict(list)
        for entry in self.entries:
            subjects[entry.school_class_id].append(entry.subject_id)
        return subjects

    @cached_property
    def users(self) -> list[dict]:
        students = list(Student.objects.select_related("user").order_by("user__last_name", "user__first_name", "pk"))
        levels = {}
        for student_id, level in Enrolment.objects.order_by("school_class__year__starts", "starts").values_list(
            "student_id", "school_class__level"
        ):
            levels[student_id] = level  # the latest class's
        teachers = list(User.objects.filter(roles__overlap=[Role.TEACHER]).order_by("last_name", "first_name", "pk"))
        changed = _last_changes(User, [s.user_id for s in students] + [t.pk for t in teachers])
        changed_students = _last_changes(Student, [s.pk for s in students])
        people = [
            self._user(s.user, sourced_id("student", s.pk), "student", max(
                filter(None, [changed.get(s.user_id), changed_students.get(s.pk)]), default=None),
                identifier=str(s.register_number), grades=[grade_code(levels[s.pk])] if s.pk in levels else [])
            for s in students
        ]  # fmt: skip
        people += [self._user(t, sourced_id("teacher", t.pk), "teacher", changed.get(t.pk)) for t in teachers]
        return people

    def _user(self, user: User, sourced: str, role: str, modified, *, identifier: str = "", grades=()) -> dict:
        person = {
            **self.base(sourced, moment(modified) if modified else None), "enabledUser": _bool(user.is_active),
            "username": user.username, "givenName": user.first_name, "familyName": user.last_name,
            "roles": [{"roleType": "primary", "role": role, "org": self.org_ref()}], "primaryOrg": self.org_ref(),
        }  # fmt: skip
        if identifier:
            person["identifier"] = identifier
        if grades:
            person["grades"] = list(grades)
        if self.personal and user.email:
            person["email"] = user.email
        return person

    def user_ref(self, kind: str, pk: int) -> dict:
        return self.ref(ROSTERING, "users", "user", sourced_id(kind, pk))

    def class_ref(self, class_id: int, subject_id: int) -> dict:
        return self.ref(ROSTERING, "classes", "class", self.class_id(class_id, subject_id))

    @cached_property
    def enrollments(self) -> list[dict]:
        enrolments = list(Enrolment.objects.order_by("school_class_id", "student_id", "pk"))
        changed = _last_changes(Enrolment, [e.pk for e in enrolments])
        rows = []
        for e in enrolments:
            for subject_id in self.sections.get(e.school_class_id, []):
                row = {
                    **self.base(sourced_id("enrollment-student", e.pk, subject_id),
                                moment(changed[e.pk]) if e.pk in changed else None),
                    "user": self.user_ref("student", e.student_id),
                    "class": self.class_ref(e.school_class_id, subject_id),
                    "school": self.org_ref(), "role": "student", "beginDate": e.starts.isoformat(),
                }  # fmt: skip
                if e.ends is not None:
                    row["endDate"] = (e.ends + timedelta(days=1)).isoformat()
                rows.append(row)
        assignments = list(TeachingAssignment.objects.order_by("school_class_id", "subject_id", "teacher_id"))
        changed = _last_changes(TeachingAssignment, [a.pk for a in assignments])
        rows += [
            {
                **self.base(sourced_id("enrollment-teacher", a.pk), moment(changed[a.pk]) if a.pk in changed else None),
                "user": self.user_ref("teacher", a.teacher_id),
                "class": self.class_ref(a.school_class_id, a.subject_id),
                "school": self.org_ref(), "role": "teacher", "primary": "true",
            }
            for a in assignments
            if a.subject_id in self.sections.get(a.school_class_id, [])
        ]  # fmt: skip
        return rows

    @cached_property
    def categories(self) -> list[dict]:
        return [
            {**self.base(sourced_id("category", "annual")), "title": "Media anuală"},
            {**self.base(sourced_id("category", "module")), "title": "Media modulului"},
        ]

    def category_ref(self, kind: str) -> dict:
        return self.ref(GRADEBOOK, "categories", "category", sourced_id("category", kind))

    def line_item_id(self, class_id: int, subject_id: int, module_id: int | None) -> str:
        return (
            sourced_id("line-item", "module", module_id) if module_id else sourced_id("line-item", class_id, subject_id)
        )

    @cached_property
    def line_items(self) -> list[dict]:
        items = []
        for e in self.entries:
            year = e.school_class.year
            items.append(self._line_item(
                self.line_item_id(e.school_class_id, e.subject_id, None), f"Media anuală – {e.subject.name}",
                year.starts, year.ends, e.school_class_id, e.subject_id, year.pk, "annual", e.school_class.scheme,
            ))  # fmt: skip
        for m in CurricularModule.objects.select_related("school_class__year").order_by("starts", "pk"):
            if m.subject_id in self.sections.get(m.school_class_id, []):
                items.append(self._line_item(
                    self.line_item_id(m.school_class_id, m.subject_id, m.pk), f"Media modulului – {m.name}",
                    m.starts, m.ends, m.school_class_id, m.subject_id, m.school_class.year_id, "module",
                    m.school_class.scheme,
                ))  # fmt: skip
        return items

    def _line_item(self, sourced, title, starts, ends, class_id, subject_id, year_id, kind, scheme) -> dict:
        item = {
            **self.base(sourced), "title": title, "assignDate": moment(starts), "dueDate": moment(ends),
            "class": self.class_ref(class_id, subject_id), "school": self.org_ref(),
            "category": self.category_ref(kind), "academicSession": self.session_ref("year", year_id),
        }  # fmt: skip
        if scheme == "grades":
            item |= {"resultValueMin": 1.0, "resultValueMax": 10.0}
        return item

    @cached_property
    def results(self) -> list[dict]:
        known = {item["sourcedId"] for item in self.line_items}
        results = []
        for a in Average.objects.filter(closed=True).order_by("school_class_id", "subject_id", "student_id", "pk"):
            line_item = self.line_item_id(a.school_class_id, a.subject_id, a.module_id)
            if line_item not in known:
                continue
            result = {
                **self.base(sourced_id("result", a.pk), moment(a.closed_at)),
                "lineItem": self.ref(GRADEBOOK, "lineItems", "lineItem", line_item),
                "student": self.user_ref("student", a.student_id),
                "class": self.class_ref(a.school_class_id, a.subject_id),
                "scoreStatus": "fully graded", "scoreDate": a.closed_at.date().isoformat(),
            }  # fmt: skip
            if a.value is not None:
                result["score"] = float(a.value)
            else:
                result["textScore"] = a.calificativ
            results.append(result)
        return results


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _last_changes(model, ids: list[int]) -> dict[int, datetime]:
    """When each object last changed, by its row history (one query)."""
    if not ids:
        return {}
    rows = (
        model.pgh_event_model.objects.filter(pgh_obj_id__in=ids)
        .values("pgh_obj_id")
        .annotate(last=Max("pgh_created_at"))
        .values_list("pgh_obj_id", "last")
    )
    return dict(rows)


# -- the CSV binding -------------------------------------------------------------------------

HEAD = ["sourcedId", "status", "dateLastModified"]
# Each file's columns in the binding's order, and how a JSON object fills them.
# fmt: off
CSV_FILES = {
    "academicSessions": (
        [*HEAD, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
        ["title", "type", "startDate", "endDate", ("parent",), "schoolYear"],
    ),
    "orgs": ([*HEAD, "name", "type", "identifier", "parentSourcedId"], ["name", "type", "identifier", None]),
    "courses": (
        [*HEAD, "schoolYearSourcedId", "title", "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes"],
        [("schoolYear",), "title", "courseCode", ["grades"], ("org",), ["subjects"], None],
    ),
    "classes": (
        [*HEAD, "title", "grades", "courseSourcedId", "classCode", "classType", "location", "schoolSourcedId",
         "termSourcedIds", "subjects", "subjectCodes", "periods"],
        ["title", ["grades"], ("course",), "classCode", "classType", None, ("school",), [("terms",)], ["subjects"],
         None, None],
    ),
    "users": (
        [*HEAD, "enabledUser", "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
         "sms", "phone", "agentSourcedIds", "grades", "password", "userMasterIdentifier", "preferredGivenName",
         "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
        ["enabledUser", "username", None, "givenName", "familyName", None, "identifier", "email", None, None, None,
         ["grades"], None, None, None, None, None, ("primaryOrg",), None],
    ),
    "roles": (
        [*HEAD, "userSourcedId", "roleType", "role", "beginDate", "endDate", "orgSourcedId", "userProfileSourcedId"],
        None,  # one row per role of a user: see _role_rows
    ),
    "enrollments": (
        [*HEAD, "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
        [("class",), ("school",), ("user",), "role", "primary", "beginDate", "endDate"],
    ),
    "categories": ([*HEAD, "title", "weight"], ["title", None]),
    "lineItems": (
        [*HEAD, "title", "description", "assignDate", "dueDate", "classSourcedId", "categorySourcedId",
         "academicSessionSourcedId", "resultValueMin", "resultValueMax", "schoolSourcedId"],
        ["title", None, ("date", "assignDate"), ("date", "dueDate"), ("class",), ("category",), ("academicSession",),
         "resultValueMin", "resultValueMax", ("school",)],
    ),
    "results": (
        [*HEAD, "lineItemSourcedId", "studentSourcedId", "scoreStatus", "score", "scoreDate", "comment", "textScore",
         "classSourcedId", "inProgress", "incomplete", "late", "missing"],
        [("lineItem",), ("student",), "scoreStatus", "score", "scoreDate", None, "textScore", ("class",), None, None,
         None, None],
    ),
}
MANIFEST_FILES = [
    "academicSessions", "categories", "classes", "classResources", "courses", "courseResources", "demographics",
    "enrollments", "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales", "orgs", "resources",
    "resultLearningObjectiveIds", "results", "resultScoreScales", "roles", "scoreScales", "userProfiles",
    "userResources", "users",
]
# fmt: on
ROSTER_KINDS = {
    "academicSessions": "academic_sessions", "orgs": "orgs", "courses": "courses", "classes": "classes",
    "users": "users", "enrollments": "enrollments", "categories": "categories", "lineItems": "line_items",
    "results": "results",
}  # fmt: skip


def _cell(obj: dict, spec) -> str:
    """One CSV cell from a JSON object, as the column's spec says: a field name, (ref,) for a
    GUIDRef's sourcedId, [field] for a list, [(ref,)] for a list of refs, ("date", f) for a
    date-time written as a date. In a bulk file status and dateLastModified stay blank."""
    if spec is None:
        return ""
    if isinstance(spec, tuple) and spec[0] == "date":
        return (obj.get(spec[1]) or "")[:10]
    if isinstance(spec, tuple):
        return (obj.get(spec[0]) or {}).get("sourcedId", "")
    if isinstance(spec, list) and isinstance(spec[0], tuple):
        return ",".join(ref["sourcedId"] for ref in obj.get(spec[0][0]) or [])
    if isinstance(spec, list):
        return ",".join(obj.get(spec[0]) or [])
    value = obj.get(spec)
    return "" if value is None else str(value)


def _role_rows(users: list[dict]) -> list[list[str]]:
    return [
        [sourced_id("role", user["sourcedId"], n), "", "", user["sourcedId"], role["roleType"], role["role"], "", "",
         role["org"]["sourcedId"], ""]
        for user in users
        for n, role in enumerate(user["roles"])
    ]  # fmt: skip


def csv_bundle(roster: Roster, system_name: str = "Catedra") -> bytes:
    """The OneRoster 1.2 CSV bundle (bulk): manifest.csv and every file with rows, in a zip."""
    files: dict[str, list[list[str]]] = {}
    for name, (columns, specs) in CSV_FILES.items():
        objects = getattr(roster, ROSTER_KINDS.get(name, "users"))
        if name == "roles":
            rows = _role_rows(objects)
        else:
            rows = [[obj["sourcedId"], "", "", *(_cell(obj, spec) for spec in specs)] for obj in objects]
        if rows:  # the binding permits no file without data rows
            files[name] = [columns, *rows]
    manifest = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
    manifest += [[f"file.{name}", "bulk" if name in files else "absent"] for name in MANIFEST_FILES]
    manifest += [
        ["source.systemName", system_name],
        ["source.systemCode", roster.school.siiir_code or roster.school.cui],
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, rows in [("manifest", manifest), *files.items()]:
            text = io.StringIO()
            csv.writer(text, lineterminator="\r\n").writerows(rows)
            bundle.writestr(f"{name}.csv", text.getvalue().encode())
    return buffer.getvalue()
