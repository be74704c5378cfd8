from django.urls import path

from catalog.web import views

urlpatterns = [
    path("", views.school_home, name="school-home"),
]
