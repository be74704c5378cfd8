from django.urls import path

from accounts import views

urlpatterns = [
    path("invitatie/<str:uidb64>/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
