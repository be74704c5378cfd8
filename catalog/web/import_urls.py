"""Imports into the catalog (students and parents, and the years before 2022-23, from CSV) and copying a
year's structure."""

from django.urls import path

from catalog.web import imports

urlpatterns = [
    path("", imports.students_import, name="import-students"),
    path("model.csv", imports.students_template, name="import-students-template"),
    path("<int:job_id>/", imports.import_job, name="import-job"),
    path("copiere-an/", imports.year_copy, name="import-year-copy"),
    path("incadrari/", imports.assignments_import, name="import-assignments"),
    path("istoric/", imports.legacy_import, name="import-legacy"),
    path("istoric/incheiere/", imports.legacy_close, name="import-legacy-close"),
    path("istoric/model.csv", imports.legacy_template, name="import-legacy-template"),
]
