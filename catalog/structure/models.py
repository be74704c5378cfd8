"""A school year and what it is made of: periods, rules, classes, subjects, curriculum,
teaching assignments, students and their enrolments.

Everything here lives in the school's own schema. A closed year is frozen: the services
refuse every write that touches it (DOMAIN rule 12).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.history import tracked


class Level(models.TextChoices):
    """Class levels in teaching order; the value sorts as the level does."""

    PREP = "00", _("pregătitoare")
    I = "01", _("I")  # noqa: E741 - the Roman numeral is the level's name
    II = "02", _("a II-a")
    III = "03", _("a III-a")
    IV = "04", _("a IV-a")
    V = "05", _("a V-a")
    VI = "06", _("a VI-a")
    VII = "07", _("a VII-a")
    VIII = "08", _("a VIII-a")
    IX = "09", _("a IX-a")
    X = "10", _("a X-a")
    XI = "11", _("a XI-a")
    XII = "12", _("a XII-a")
    XIII = "13", _("a XIII-a")


class Cycle(models.TextChoices):
    """The stage of schooling a număr matricol belongs to (it is sequential per stage)."""

    PRIMARY = "primar", _("primar")
    LOWER_SECONDARY = "gimnazial", _("gimnazial")
    UPPER_SECONDARY = "liceal", _("liceal")


class Scheme(models.TextChoices):
    """How a level is evaluated (DOMAIN rule 1)."""

    DESCRIPTIVE = "descriptive", _("raport descriptiv")
    CALIFICATIVE = "calificative", _("calificative")
    GRADES = "grades", _("note")


def level_cycle(level: str) -> str:
    if level <= Level.IV:
        return Cycle.PRIMARY
    if level <= Level.VIII:
        return Cycle.LOWER_SECONDARY
    return Cycle.UPPER_SECONDARY


def level_scheme(level: str) -> str:
    if level == Level.PREP:
        return Scheme.DESCRIPTIVE
    if level <= Level.IV:
        return Scheme.CALIFICATIVE
    return Scheme.GRADES


class RuleSet(models.Model):
    """One version of every configurable rule of the catalog (DOMAIN.md, "configurable").

    A version is never changed once a year uses it: revising the rules of an open year makes
    a new version, so earlier years keep being computed by the rules of their time.
    """

    class SubjectDeduction(models.TextChoices):
        """Rule 10: what unexcused absences reaching the share at several subjects cost."""

        # The Statute's "cu câte un punct": a point for each subject that reaches the share.
        PER_SUBJECT = "per_subject", _("câte un punct pentru fiecare disciplină")
        # The older reading, kept for the schools that count the subjects once.
        ONCE = "once", _("un singur punct, oricâte discipline")

    version = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("notă"), max_length=200, blank=True)
    # Rule 5: too few grades to close an average either warns or blocks the closing.
    min_grades_block = models.BooleanField(_("blochează încheierea mediei sub numărul minim de note"), default=False)
    # Rule 6: medie generală at two decimals, round half up (2022 text) or truncate (legacy).
    general_average_truncate = models.BooleanField(_("media generală prin trunchiere"), default=False)
    # Rule 10: conduct deductions.
    conduct_absence_step = models.PositiveSmallIntegerField(
        _("absențe nemotivate pentru 1 punct la purtare"), default=20
    )
    conduct_subject_percent = models.PositiveSmallIntegerField(
        _("procent absențe nemotivate la o disciplină pentru 1 punct"), default=20
    )
    conduct_deductions_add = models.BooleanField(_("scăderile la purtare se adună"), default=True)
    conduct_subject_deduction = models.CharField(
        _("scăderea când absențele ating procentul la mai multe discipline"),
        max_length=12,
        choices=SubjectDeduction.choices,
        default=SubjectDeduction.PER_SUBJECT,
    )
    conduct_truncate = models.BooleanField(_("media la purtare prin trunchiere"), default=False)
    # Rule 15: documents due within N days of the student's return.
    document_days = models.PositiveSmallIntegerField(_("zile pentru actele justificative"), default=7)
    late_documents_refused = models.BooleanField(_("actele întârziate sunt refuzate"), default=False)
    # Rule 16: parents' requests.
    parent_request_hours = models.PositiveSmallIntegerField(_("ore/an motivate la cererea părintelui"), default=40)
    parent_request_percent = models.PositiveSmallIntegerField(_("procent maxim pe disciplină"), default=20)
    special_request_hours = models.PositiveSmallIntegerField(_("ore/an (eleve gravide, elevi-părinți)"), default=100)
    special_request_percent = models.PositiveSmallIntegerField(_("procent pe disciplină (cazuri speciale)"), default=40)
    # Rule 17: parents are told when unexcused absences reach these counts.
    notify_at = models.JSONField(_("praguri de anunțare a părinților"), default=list)
    notify_subject_percent = models.PositiveSmallIntegerField(_("procent la o disciplină pentru anunț"), default=50)

    class Meta:
        verbose_name = _("set de reguli")
        verbose_name_plural = _("seturi de reguli")
        constraints = [
            models.CheckConstraint(
                condition=Q(conduct_absence_step__gte=1)
                & Q(conduct_subject_percent__range=(1, 100))
                & Q(parent_request_percent__range=(0, 100))
                & Q(special_request_percent__range=(0, 100))
                & Q(notify_subject_percent__range=(1, 100)),
                name="rule_set_values_in_range",
            ),
            models.CheckConstraint(
                # Two equalities, not IN: PostgreSQL prints a varchar IN list in a form that reads
                # back differently, and a school's schema is made by replaying the template's DDL.
                condition=Q(conduct_subject_deduction="per_subject") | Q(conduct_subject_deduction="once"),
                name="rule_set_conduct_subject_deduction_known",
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class SchoolYear(models.Model):
    class Structure(models.TextChoices):
        MODULES = "modules", _("5 module")
        SEMESTERS = "semesters", _("2 semestre")
        TRIMESTERS = "trimesters", _("3 trimestre")
        CUSTOM = "custom", _("personalizată")

    name = models.CharField(_("an școlar"), max_length=9, unique=True)  # "2025-2026"
    starts = models.DateField(_("început"))
    ends = models.DateField(_("sfârșit"))
    structure = models.CharField(_("structură"), max_length=12, choices=Structure.choices)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="years")
    # Rule 8: years before 2022-23 are computed per semester (imported history).
    legacy = models.BooleanField(_("reguli vechi (medii semestriale)"), default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["-starts"]
        verbose_name = _("an școlar")
        verbose_name_plural = _("ani școlari")
        constraints = [models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="year_starts_first")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class LearningPeriod(models.Model):
    """A module, semester or trimester: the unit of conduct grades and of the timetable."""

    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(_("nume"), max_length=40)
    starts = models.DateField(_("început"))
    ends = models.DateField(_("sfârșit"))

    class Meta:
        ordering = ["year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="one_period_number_per_year"),
            models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="period_starts_first"),
        ]

    def __str__(self) -> str:
        return self.name


class PeriodEnd(models.Model):
    """A period that ends on another day for some levels (VIII, XII, technological classes)."""

    period = models.ForeignKey(LearningPeriod, on_delete=models.CASCADE, related_name="variations")
    level = models.CharField(_("clasa"), max_length=2, choices=Level.choices)
    technological = models.BooleanField(_("doar clase tehnologice"), default=False)
    ends = models.DateField(_("sfârșit"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "level", "technological"], name="one_variation_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.period} – {self.get_level_display()}"


class Holiday(models.Model):
    year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="holidays")
    name = models.CharField(_("nume"), max_length=80)
    starts = models.DateField(_("început"))
    ends = models.DateField(_("sfârșit"))

    class Meta:
        ordering = ["starts"]
        constraints = [models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="holiday_starts_first")]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("obișnuită")
        RELIGION = "religion", _("religie")
        PHYSICAL_EDUCATION = "pe", _("educație fizică")

    name = models.CharField(_("disciplina"), max_length=120, unique=True)
    short_name = models.CharField(_("prescurtare"), max_length=20, blank=True)
    kind = models.CharField(_("tip"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    # Rule 20: subjects appear in curriculum order.
    position = models.PositiveSmallIntegerField(_("ordine"), default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("disciplină")
        verbose_name_plural = _("discipline")

    def __str__(self) -> str:
        return self.name


class SchoolClass(models.Model):
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="classes")
    level = models.CharField(_("clasa"), max_length=2, choices=Level.choices)
    letter = models.CharField(_("litera"), max_length=10)
    technological = models.BooleanField(_("clasă tehnologică / profesională"), default=False)
    homeroom = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("diriginte / învățător"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="homeroom_classes",
    )  # fmt: skip

    class Meta:
        ordering = ["year", "level", "letter"]
        verbose_name = _("clasă")
        verbose_name_plural = _("clase")
        constraints = [models.UniqueConstraint(fields=["year", "level", "letter"], name="one_class_per_name")]

    def __str__(self) -> str:
        if self.level == Level.PREP:
            return f"Clasa pregătitoare {self.letter}"
        return f"Clasa {self.get_level_display()} {self.letter}"

    @property
    def short(self) -> str:
        """The class's name without "Clasa": "a VIII-a B"."""
        return f"{self.get_level_display()} {self.letter}"

    @property
    def scheme(self) -> str:
        return level_scheme(self.level)

    @property
    def results_closed(self) -> bool:
        """The homeroom teacher closed the class's results for the year (rule 12): the closing
        is recorded, and reopened, by the grades (their `closing` of this class). One query."""
        return SchoolClass.objects.filter(pk=self.pk, closing__isnull=False).exists()


class CurriculumEntry(models.Model):
    """A subject taught in a class, with its weekly hours (the plan-cadru, per class)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="curriculum")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    weekly_hours = models.PositiveSmallIntegerField(_("ore pe săptămână"))
    yearly_hours = models.PositiveSmallIntegerField(_("ore pe an"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subject"], name="one_entry_per_class_subject"),
            models.CheckConstraint(condition=Q(weekly_hours__range=(1, 40)), name="weekly_hours_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.weekly_hours} h)"


class CurricularModule(models.Model):
    """A technical/vocational module of a subject: its own average, closed when it ends (rule 4)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="modules")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("modulul"), max_length=160)
    total_hours = models.PositiveSmallIntegerField(_("ore în total"))
    starts = models.DateField(_("început"))
    ends = models.DateField(_("sfârșit"))

    class Meta:
        ordering = ["starts", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subject", "name"], name="one_module_per_name"),
            models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="module_starts_first"),
        ]

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(models.QuerySet):
    def in_force(self, on: date | None = None) -> "AssignmentQuerySet":
        """The assignments that give rights on `on` (today): the permanent ones and the temporary
        grants whose interval holds the day. An expired grant gives nothing even before the
        end-of-grant job removes it."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.filter(Q(starts__isnull=True) | Q(starts__lte=on), Q(ends__isnull=True) | Q(ends__gte=on))


@tracked()
class TeachingAssignment(models.Model):
    """Încadrare: who teaches a subject in a class; the only door to writing its grades (art. 14).
    A temporary grant (a substitute's, art. 15) has `starts` and `ends`: it gives rights only
    in between, and the end-of-grant job removes it after."""

    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="assignments")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    starts = models.DateField(_("de la"), null=True, blank=True)
    ends = models.DateField(_("până la"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["teacher", "school_class", "subject"], name="one_assignment_per_triple"),
            models.CheckConstraint(condition=Q(starts__lte=models.F("ends")), name="grant_starts_first"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} – {self.subject} – {self.school_class}"

    @property
    def is_grant(self) -> bool:
        return self.ends is not None


@tracked()
class Student(models.Model):
    """A student's register record; the person (name, birth date, sign-in) is the account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student")
    cnp = models.CharField(_("CNP"), max_length=13, unique=True)
    cycle = models.CharField(_("ciclul"), max_length=10, choices=Cycle.choices)
    # Rule 18: sequential per school and cycle from 1, never reused or changed.
    register_number = models.PositiveIntegerField(_("număr matricol"))
    # GDPR art. 18 (Order 3896/2023 art. 12(2)): the director restricts the processing of the
    # student's data. It stays stored (and in backups) and shown, marked, to the school's staff,
    # but leaves the API's answers, the statistics and the families' notifications.
    restricted_at = models.DateTimeField(_("date restricționate din"), null=True, blank=True)
    restricted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    restriction_reason = models.CharField(_("motivul restricționării"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("elev")
        verbose_name_plural = _("elevi")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "register_number"], name="one_register_number_per_cycle")
        ]

    def __str__(self) -> str:
        return self.user.get_full_name()

    @property
    def restricted(self) -> bool:
        return self.restricted_at is not None


class RegisterCounter(models.Model):
    """The last număr matricol given in a cycle (numbers are never reused)."""

    cycle = models.CharField(max_length=10, choices=Cycle.choices, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.cycle}: {self.last}"


@tracked()
class Enrolment(models.Model):
    """A student in a class from a day (to a day, when they leave it)."""

    class Entry(models.TextChoices):
        START = "start", _("înscriere")
        TRANSFER_IN = "transfer_in", _("transfer de la altă școală")
        MOVED = "moved", _("mutare din altă clasă")

    class Exit(models.TextChoices):
        TRANSFER_OUT = "transfer_out", _("transfer la altă școală")
        MOVED = "moved", _("mutare în altă clasă")
        WITHDRAWN = "withdrawn", _("retras / exmatriculat")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="enrolments")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="enrolments")
    starts = models.DateField(_("din"))
    ends = models.DateField(_("până la"), null=True, blank=True)
    entry = models.CharField(max_length=12, choices=Entry.choices, default=Entry.START)
    exit = models.CharField(max_length=12, choices=Exit.choices, blank=True)
    note = models.CharField(_("mențiuni"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="one_enrolment_per_class"),
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(starts__lte=models.F("ends")), name="enrolment_dates"
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.student} – {self.school_class}"

    def covers(self, day: date) -> bool:
        """Whether the student is in the class on `day`."""
        return self.starts <= day and (self.ends is None or self.ends >= day)


@tracked()
class Exemption(models.Model):
    """Why a subject is left out of a student's year (DOMAIN rules 7 and 11)."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", _("scutit medical")
        NO_RELIGION = "no_religion", _("nu urmează ora de religie")
        DEFERRED = "deferred", _("situație amânată aprobată (concursuri, studii în străinătate)")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="exemptions")
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    document = models.CharField(_("documentul (număr)"), max_length=60, blank=True)
    document_date = models.DateField(_("data documentului"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "year", "subject"], name="one_exemption_per_subject")]

    def __str__(self) -> str:
        return f"{self.student} – {self.subject}: {self.get_kind_display()}"

    @property
    def described(self) -> str:
        """As the catalog notes it (rule 7): "scutit medical (123/04.09.2025)"."""
        document = self.document + (f"/{self.document_date:%d.%m.%Y}" if self.document_date else "")
        return f"{self.get_kind_display()} ({document})" if self.document else str(self.get_kind_display())


class ImportJob(models.Model):
    """A checked CSV file imported by a background job (a big file takes longer than a
    request may): students and parents (catalog.structure.imports), or the semester averages
    of a year before 2022-23 (catalog.grades.legacy). The file is kept only until the job
    ends; what the import did, or why it was refused, stays in `outcome`."""

    class Kind(models.TextChoices):
        STUDENTS = "students", _("elevi și părinți")
        LEGACY = "legacy", _("istoricul anilor dinainte de 2022-2023")

    class Status(models.TextChoices):
        QUEUED = "queued", _("în așteptare")
        RUNNING = "running", _("în lucru")
        DONE = "done", _("importat")
        REFUSED = "refused", _("neimportat")
        FAILED = "failed", _("eșuat")

    FINISHED = (Status.DONE, Status.REFUSED, Status.FAILED)

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STUDENTS)
    year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200, blank=True)
    rows = models.PositiveIntegerField(default=0)
    data = models.BinaryField(default=b"")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Students: {"students": [ids], "parents_created": n, "parents_reused": n, "links": n};
    # history: {"averages": n, "students": n, "classes": {class: n}}; either: "problems":
    # [[line, column, message], ...].
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "-created_at"], name="import_job_recent")]

    def __str__(self) -> str:
        return f"{self.file_name or 'CSV'} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class BellHour(models.Model):
    """The school's bell: when a class hour starts and ends (the same every school day)."""

    number = models.PositiveSmallIntegerField(_("ora"), unique=True)
    starts = models.TimeField(_("începe la"))
    ends = models.TimeField(_("se termină la"))

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__range=(1, 14)), name="bell_hour_in_range"),
            models.CheckConstraint(condition=Q(starts__lt=models.F("ends")), name="bell_hour_starts_first"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.starts:%H:%M}–{self.ends:%H:%M}"


class TimetableSlot(models.Model):
    """A class's timetable: the subject taught at an hour of a weekday (1 = Monday)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="timetable")
    weekday = models.PositiveSmallIntegerField(_("ziua"))
    hour = models.PositiveSmallIntegerField(_("ora"))
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["school_class", "weekday", "hour"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "weekday", "hour"], name="one_subject_per_slot"),
            models.CheckConstraint(condition=Q(weekday__range=(1, 5)), name="slot_weekday_in_week"),
            models.CheckConstraint(condition=Q(hour__range=(1, 14)), name="slot_hour_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} {self.weekday}/{self.hour}: {self.subject}"
