"""Imports into the catalog (students and parents from CSV) and copying a year's structure."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
