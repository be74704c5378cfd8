from django.urls import include, path

from catalog.web import absence_requests, exports, notices, statistics, transcriptions, views, year_end

urlpatterns = [
    path("", views.school_home, name="school-home"),
    path("clase/<int:class_id>/", views.class_overview, name="class-overview"),
    path("clase/<int:class_id>/discipline/<int:subject_id>/", views.gradebook, name="gradebook"),
    path(
        "clase/<int:class_id>/discipline/<int:subject_id>/elevi/<int:student_id>/nota/",
        views.grade_add,
        name="grade-add",
    ),
    path(
        "clase/<int:class_id>/discipline/<int:subject_id>/elevi/<int:student_id>/absenta/",
        views.absence_add,
        name="absence-add",
    ),
    path(
        "clase/<int:class_id>/discipline/<int:subject_id>/elevi/<int:student_id>/intarziere/",
        views.absence_late,
        name="absence-late",
    ),
    path("clase/<int:class_id>/elevi/<int:student_id>/motivare/", views.absences_excuse, name="absences-excuse"),
    path("clase/<int:class_id>/discipline/<int:subject_id>/medii/", year_end.averages_close, name="averages-close"),
    path("clase/<int:class_id>/elevi/<int:student_id>/raport/", views.descriptive_report, name="descriptive-report"),
    path(
        "clase/<int:class_id>/elevi/<int:student_id>/transcriere/",
        transcriptions.transcription,
        name="transcription",
    ),
    path("clase/<int:class_id>/purtare/", year_end.conduct, name="conduct"),
    path("clase/<int:class_id>/module/", include("catalog.web.module_urls")),
    path("clase/<int:class_id>/incheiere/", year_end.results_close, name="results-close"),
    path("clase/<int:class_id>/redeschidere/", year_end.results_reopen, name="results-reopen"),
    path("elevi/<int:student_id>/cerere-motivare/", absence_requests.request_submit, name="parent-request-submit"),
    path("cereri-motivare/", absence_requests.requests_pending, name="parent-requests"),
    path("cereri-motivare/<int:request_id>/decizie/", absence_requests.request_decide, name="parent-request-decide"),
    path("cereri-motivare/<int:request_id>/motivare/", absence_requests.request_apply, name="parent-request-apply"),
    path("instiintari-netrimise/", notices.notices_unsent, name="notices-unsent"),
    path("instiintari-netrimise/<int:delivery_id>/retrimite/", notices.notice_resend, name="notice-resend"),
    path("sfarsit-de-an/", year_end.year_end, name="year-end"),
    path("sfarsit-de-an/examen/", year_end.exam_record, name="exam-record"),
    path("sfarsit-de-an/incheiere/", year_end.year_close, name="year-close"),
    path("note/<int:grade_id>/", views.grade_edit, name="grade-edit"),
    path("elevi/<int:student_id>/", views.student_year, name="student-year"),
    path("raportare/siiir/", exports.siiir_export, name="siiir-export"),
    path("statistici/", statistics.statistics, name="statistics"),
    path("configurare/import/", include("catalog.web.import_urls")),
    path("configurare/", include("catalog.web.configure_urls")),
]
