"""A view that fails with personal data in the request and in the exception message."""

from django.db import IntegrityError
from django.urls import path


def fail_with_personal_data(request):
    email, cnp = request.POST["email"], request.POST["cnp"]
    raise IntegrityError(
        'duplicate key value violates unique constraint "accounts_user_email_key"\n'
        f"DETAIL:  Key (email)=({email}) already exists. CNP {cnp}, telefon {request.POST['telefon']}"
    )


urlpatterns = [path("probe/fail", fail_with_personal_data)]
