"""A class's curricular modules: set up by the secretariat and the leadership, their averages
closed by the subject's teacher (included under clase/<class_id>/module/)."""

from django.urls import path

from catalog.web import modules

urlpatterns = [
    path("", modules.configure, name="modules-configure"),
    path("<int:module_id>/", modules.change, name="module-change"),
    path("<int:module_id>/stergere/", modules.delete, name="module-delete"),
    path("<int:module_id>/medii/", modules.averages_close, name="module-averages"),
]
