"""Admin configuration pages: years, periods, classes, subjects, curriculum, assignments, students."""

from django.urls import path

from catalog.web import configure

urlpatterns = [
    path("", configure.index, name="configure-index"),
    path("ani/", configure.years, name="configure-years"),
    path("ani/<int:year_id>/", configure.year, name="configure-year"),
    path("ani/<int:year_id>/clase/", configure.classes, name="configure-classes"),
    path("ani/<int:year_id>/calendar/", configure.calendar, name="configure-calendar"),
    path(
        "ani/<int:year_id>/vacante/<int:holiday_id>/stergere/",
        configure.holiday_remove,
        name="configure-holiday-remove",
    ),
    path(
        "ani/<int:year_id>/sfarsituri/<int:variation_id>/stergere/",
        configure.period_end_remove,
        name="configure-period-end-remove",
    ),
    path("discipline/", configure.subjects, name="configure-subjects"),
    path("orar/", configure.bell, name="configure-bell"),
    path("clase/<int:class_id>/orar/", configure.timetable, name="configure-timetable"),
    path("clase/<int:class_id>/", configure.school_class, name="configure-class"),
    path("clase/<int:class_id>/plan/", configure.curriculum, name="configure-curriculum"),
    path("clase/<int:class_id>/incadrari/", configure.assignments, name="configure-assignments"),
    path(
        "clase/<int:class_id>/incadrari/<int:assignment_id>/stergere/",
        configure.assignment_remove,
        name="configure-assignment-remove",
    ),
    path("clase/<int:class_id>/elevi/", configure.students, name="configure-students"),
    path(
        "clase/<int:class_id>/elevi/<int:student_id>/plecare/", configure.student_leave, name="configure-student-leave"
    ),
    path(
        "clase/<int:class_id>/elevi/<int:student_id>/scutiri/",
        configure.student_exemptions,
        name="configure-student-exemptions",
    ),
]
