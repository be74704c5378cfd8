"""Grades, calificative, closed averages and conduct. Every write goes through
`catalog.grades.services` (audited); the row history triggers catch anything else."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.history import tracked
from catalog.structure.models import CurricularModule, Enrolment, LearningPeriod, SchoolClass, Student, Subject

CALIFICATIVE_CHOICES = [("FB", _("Foarte bine")), ("B", _("Bine")), ("S", _("Suficient")), ("I", _("Insuficient"))]


def _one_of_value_or_calificativ(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        # gte/lte, not range: a BETWEEN inside an AND deparses with other parentheses when the
        # template schema's DDL is replayed, and the copies must equal a migrated schema.
        condition=Q(value__gte=1, value__lte=10, calificativ="") | (Q(value__isnull=True) & ~Q(calificativ="")),
        name=name,
    )


class ValueOrCalificativ:
    """A grade (`value`) or a calificativ, shown as whichever it holds."""

    @property
    def shown(self) -> str:
        return str(self.value) if self.value is not None else self.calificativ


@tracked()
class Transcription(models.Model):
    """The school record a student brought from another school (a transfer in), whose grades
    and conduct grades the homeroom teacher transcribes into the class's catalog: they are
    the class's own rows, dated when they were given there, and count in the year's averages."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.PROTECT, related_name="transcription")
    origin = models.CharField(_("școala de proveniență"), max_length=200)
    document = models.CharField(_("documentul (număr)"), max_length=60)
    document_date = models.DateField(_("data documentului"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.origin} ({self.document}/{self.document_date:%d.%m.%Y})"


@tracked()
class TranscribedAbsences(models.Model):
    """A subject's absences at the school of origin, as its record (situația școlară) counts
    them: they count in the year's absence rules here (conduct deductions, deferral; DOMAIN
    rules 10, 11, 17) without days or hours of their own."""

    transcription = models.ForeignKey(Transcription, on_delete=models.PROTECT, related_name="absences")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    excused = models.PositiveSmallIntegerField(_("motivate"), default=0)
    unexcused = models.PositiveSmallIntegerField(_("nemotivate"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["transcription", "subject"], name="one_transcribed_absences_per_subject"),
            models.CheckConstraint(condition=Q(excused__gt=0) | Q(unexcused__gt=0), name="transcribed_absences_some"),
        ]

    def __str__(self) -> str:
        return f"{self.subject}: {self.excused} + {self.unexcused}"


@tracked()
class Grade(ValueOrCalificativ, models.Model):
    """A grade (1–10) or a calificativ (FB/B/S/I), shown as "9/14.10" (DOMAIN rule 2)."""

    class Kind(models.TextChoices):
        ORAL = "oral", _("oral")
        WRITTEN = "written", _("scris")
        PRACTICAL = "practical", _("practic")
        PROJECT = "project", _("proiect")
        THESIS = "thesis", _("teză")  # legacy years only (rule 8)

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="grades")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(CurricularModule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    calificativ = models.CharField(max_length=2, choices=CALIFICATIVE_CHOICES, blank=True)
    on = models.DateField(_("data"))
    kind = models.CharField(_("tipul"), max_length=10, choices=Kind.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Given at another school (a transfer in) and transcribed by the homeroom teacher.
    transcription = models.ForeignKey(
        Transcription, null=True, blank=True, on_delete=models.PROTECT, related_name="grades"
    )

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["school_class", "subject", "student"], name="grade_gradebook")]
        constraints = [_one_of_value_or_calificativ("grade_value_or_calificativ")]

    def __str__(self) -> str:
        return f"{self.shown}/{self.on:%d.%m}"


@tracked()
class Average(ValueOrCalificativ, models.Model):
    """A closed annual (or curricular-module) average; a closed average locks its grades (rule 12)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="averages")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(CurricularModule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    calificativ = models.CharField(max_length=2, choices=CALIFICATIVE_CHOICES, blank=True)
    # Rule 9: what the system suggested, when the teacher chose otherwise.
    suggested = models.CharField(max_length=2, blank=True)
    closed = models.BooleanField(default=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_class", "subject", "module"], nulls_distinct=False, name="one_average"
            ),
            _one_of_value_or_calificativ("average_value_or_calificativ"),
        ]

    def __str__(self) -> str:
        return self.shown


@tracked()
class ConductGrade(ValueOrCalificativ, models.Model):
    """The homeroom teacher's conduct grade for one learning period (rule 10)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="conduct_grades")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(LearningPeriod, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    calificativ = models.CharField(max_length=2, choices=CALIFICATIVE_CHOICES, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transcription = models.ForeignKey(
        Transcription, null=True, blank=True, on_delete=models.PROTECT, related_name="conduct_grades"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class", "period"], name="one_conduct_grade_per_period"),
            _one_of_value_or_calificativ("conduct_value_or_calificativ"),
        ]

    def __str__(self) -> str:
        return self.shown


@tracked()
class Exam(ValueOrCalificativ, models.Model):
    """A resit (corigență) or a deferred-subject exam at the end of the year (rule 11).

    A deferred exam closes the subject's average with its grade; a resit's grade replaces the
    failed average in the year's result. A student who does not sit the exam is recorded as
    absent (no grade): the subject counts as failed. In a subject taught in curricular
    modules the exam is of one `module` (each module is a discipline at the year's end)."""

    class Kind(models.TextChoices):
        RESIT = "resit", _("examen de corigență")
        DEFERRED = "deferred", _("examen de încheiere a situației")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="exams")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(CurricularModule, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    on = models.DateField(_("data"))
    absent = models.BooleanField(default=False)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    calificativ = models.CharField(max_length=2, choices=CALIFICATIVE_CHOICES, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_class", "subject", "module", "kind"],
                nulls_distinct=False,
                name="one_exam_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(absent=True, value__isnull=True, calificativ="")
                | Q(absent=False, value__gte=1, value__lte=10, calificativ="")
                | (Q(absent=False, value__isnull=True) & ~Q(calificativ="")),
                name="exam_absent_or_graded",
            ),
        ]

    def __str__(self) -> str:
        return self.shown

    @property
    def shown(self) -> str:
        return str(_("absent")) if self.absent else super().shown


@tracked()
class YearResult(models.Model):
    """A student's stored result for the year in a class: status, medie generală, conduct and
    the subjects that decided it. Written when the homeroom teacher closes the class's results
    and again after every end-of-year exam; frozen with the year (rule 12)."""

    class Status(models.TextChoices):
        PROMOVAT = "promovat", _("Promovat")
        CORIGENT = "corigent", _("Corigent")
        REPETENT = "repetent", _("Repetent")
        AMANAT = "amanat", _("Situație neîncheiată (amânat)")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="year_results")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="results")
    status = models.CharField(max_length=10, choices=Status.choices)
    general_average = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    conduct = models.CharField(max_length=8, blank=True)
    averages = models.JSONField(default=dict)  # subject name -> final average (after exams)
    failed = models.JSONField(default=list)
    deferred = models.JSONField(default=list)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["student", "school_class"], name="one_result_per_class")]

    def __str__(self) -> str:
        return self.get_status_display()


@tracked()
class ClassClosing(models.Model):
    """The homeroom teacher closed the class's results for the year: averages, conduct and
    statuses are locked; only the director reopens them, with a reason (rule 12)."""

    school_class = models.OneToOneField(SchoolClass, on_delete=models.PROTECT, related_name="closing")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.school_class}"


@tracked()
class DescriptiveReport(models.Model):
    """The preparatory class's annual evaluation: no grades, a text per development area (rule 1)."""

    class Area(models.TextChoices):
        PHYSICAL = "physical", _("Dezvoltarea fizică, sănătate și igienă personală")
        SOCIAL = "social", _("Dezvoltarea socio-emoțională")
        LEARNING = "learning", _("Capacități și atitudini în învățare")
        LANGUAGE = "language", _("Dezvoltarea limbajului, a comunicării și a premiselor citirii și scrierii")
        COGNITIVE = "cognitive", _("Dezvoltarea cognitivă și cunoașterea lumii")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="descriptive_reports")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    area = models.CharField(max_length=12, choices=Area.choices)
    text = models.TextField(max_length=2000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class", "area"], name="one_report_text_per_area")
        ]

    def __str__(self) -> str:
        return self.get_area_display()


@tracked()
class LegacyAverage(ValueOrCalificativ, models.Model):
    """A semester average of a school year before 2022-23, imported from the school's earlier
    catalog (DOMAIN rule 8), with the semester's grades and written paper (teză) when the
    file gave them. The annual average is not stored: it is the semesters' mean, truncated."""

    class Semester(models.IntegerChoices):
        FIRST = 1, _("Semestrul I")
        SECOND = 2, _("Semestrul al II-lea")

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="legacy_averages")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    semester = models.PositiveSmallIntegerField(choices=Semester.choices)
    grades = ArrayField(models.CharField(max_length=2), default=list, blank=True)  # "9" or "FB", as given
    thesis = models.PositiveSmallIntegerField(null=True, blank=True)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    calificativ = models.CharField(max_length=2, choices=CALIFICATIVE_CHOICES, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "school_class", "subject", "semester"], name="one_legacy_average_per_semester"
            ),
            _one_of_value_or_calificativ("legacy_average_value_or_calificativ"),
            models.CheckConstraint(condition=Q(semester__in=[1, 2]), name="legacy_average_semester"),
            models.CheckConstraint(
                condition=Q(thesis__isnull=True) | Q(thesis__gte=1, thesis__lte=10, calificativ=""),
                name="legacy_average_thesis",
            ),
        ]

    def __str__(self) -> str:
        return self.shown
