"""Admin configuration pages: years, periods, classes, subjects, curriculum, assignments, students."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
