"""The school admin manages accounts: create, import from CSV (all or nothing), link
parents, deactivate, lift 2FA lockouts. Nobody else may."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import ParentLink, User
from accounts.roles import Role
from tests.accounts.conftest import login, make_user, sign_in_with_2fa

GOOD_CSV = """nume,prenume,rol,email,data_nasterii,copil
Popescu,Ana,elev,,2013-04-12,
Popescu,Mihaela,părinte,mihaela.popescu@example.ro,,#2
Ionescu,Ștefan,elev,,2012-09-30,
"""
BAD_CSV = """nume;prenume;rol;email;data_nasterii;copil
Popescu;Ana;elev;;2013-04-12;
Popescu;Mihaela;profesor;;;
Ionescu;;elev;;31.12.2012;
Vasile;Dan;părinte;nu-e-email;;#99
"""


@pytest.fixture
def secretary(school_a):
    return make_user(school_a.schema_name, "secretara.test", [Role.SCHOOL_ADMIN])


def test_a_good_file_creates_students_and_parents_with_their_links(secretary):
    with schema_context("school_a"):
        report = services.users_import_csv(actor=secretary, text=GOOD_CSV)
        assert report.errors == []
        assert [u.username for u in report.created] == ["ana.popescu", "mihaela.popescu", "stefan.ionescu"]
        link = ParentLink.objects.get()
        assert (link.parent.username, link.student.username) == ("mihaela.popescu", "ana.popescu")
        assert not User.objects.get(username="ana.popescu").has_usable_password()


def test_one_bad_row_imports_nothing_and_every_problem_is_reported_by_row(secretary):
    with schema_context("school_a"):
        before = User.objects.count()
        report = services.users_import_csv(actor=secretary, text=BAD_CSV)
        assert User.objects.count() == before
    assert report.created == []
    assert [error.split(":")[0] for error in report.errors] == ["Rândul 3", "Rândul 4", "Rândul 5"]
    assert "elev" in report.errors[0]
    assert "AAAA-LL-ZZ" in report.errors[1]


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "Lipsesc coloanele"), ("nume,prenume\nA,B\n", "rol"), ("nume,prenume,rol\n", "niciun rând")],
)
def test_files_of_the_wrong_shape_are_refused(secretary, text, says):
    with schema_context("school_a"):
        report = services.users_import_csv(actor=secretary, text=text)
    assert says in report.errors[0]


def test_the_import_page_reports_errors_and_a_non_utf8_file(client_a, secretary):
    sign_in_with_2fa(client_a, secretary)

    def upload(content: bytes) -> str:
        response = client_a.post("/administrare/conturi/import/", {"file": SimpleUploadedFile("e.csv", content)})
        return response.content.decode()

    assert 'data-testid="import-errors"' in upload(BAD_CSV.encode())
    assert "UTF-8" in upload("Târgu Mureş".encode("cp1250"))
    assert 'data-testid="import-created"' in upload(GOOD_CSV.encode())


def test_a_search_with_a_nul_is_refused_with_a_message(client_a, secretary, teacher):
    sign_in_with_2fa(client_a, secretary)
    response = client_a.get("/administrare/conturi/?q=%00")
    assert response.status_code == 400
    assert "caractere de control nepermise" in response.content.decode()


def test_a_teacher_gets_404_on_the_account_pages(client_a, teacher):
    sign_in_with_2fa(client_a, teacher)
    assert client_a.get("/administrare/conturi/").status_code == 404
    assert client_a.post("/administrare/conturi/import/").status_code == 404


def test_only_the_schools_management_manages_accounts(school_a, teacher):
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        services.user_create(actor=teacher, first_name="X", last_name="Y", roles=[Role.STUDENT])
    with schema_context("school_a"), pytest.raises(services.NotAllowed):
        services.users_import_csv(actor=teacher, text=GOOD_CSV)


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(client_a, secretary, teacher):
    login(client_a, teacher.username)
    with schema_context("school_a"):
        services.user_deactivate(actor=secretary, user=teacher)
    assert client_a.get("/cont/2fa/inrolare/")["Location"].startswith("/cont/login/")
    login(client_a, teacher.username)  # allauth answers an inactive account with its own page
    assert client_a.get("/cont/2fa/inrolare/")["Location"].startswith("/cont/login/")


def test_roles_must_be_school_roles_and_emails_unique(secretary, teacher):
    with schema_context("school_a"):
        with pytest.raises(ValidationError, match="rol"):
            services.user_create(actor=secretary, first_name="A", last_name="B", roles=[Role.OPERATOR])
        with pytest.raises(ValidationError, match="folosită"):
            services.user_create(
                actor=secretary, first_name="A", last_name="B", roles=[Role.TEACHER], email=teacher.email
            )


def test_the_admin_gives_a_one_time_password_link_to_a_user_without_email(client_a, secretary, student):
    sign_in_with_2fa(client_a, secretary)
    page = client_a.post(f"/administrare/conturi/{student.pk}/link-parola/").content.decode()
    link = page.split('data-testid="password-link">')[1].split("<")[0].strip()
    path = link.split(":8000")[1]
    new = "Penar-Rosu-2026!"
    student_client = client_a.__class__(HTTP_HOST="school-a.localhost")
    assert student_client.post(path, {"new_password1": new, "new_password2": new}).status_code == 200
    with schema_context("school_a"):
        assert User.objects.get(pk=student.pk).check_password(new)


def test_the_admin_edits_an_account_and_bad_input_changes_nothing(client_a, secretary, teacher):
    sign_in_with_2fa(client_a, secretary)
    page = client_a.get(f"/administrare/conturi/{teacher.pk}/editare/").content.decode()
    assert teacher.email in page
    bad = {"last_name": "", "first_name": "Mihai", "roles": ["operator"], "email": "nu-e-email"}
    response = client_a.post(f"/administrare/conturi/{teacher.pk}/editare/", bad)
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    good = {"last_name": "Ionescu", "first_name": "Mihai", "roles": ["teacher", "homeroom"], "email": teacher.email}
    assert client_a.post(f"/administrare/conturi/{teacher.pk}/editare/", good).status_code == 302
    with schema_context("school_a"):
        teacher.refresh_from_db()
    assert (teacher.last_name, sorted(teacher.roles)) == ("Ionescu", ["homeroom", "teacher"])


def test_managers_cannot_change_their_own_roles_through_the_page(client_a, secretary):
    sign_in_with_2fa(client_a, secretary)
    mine = {"last_name": "Test", "first_name": "Secretara", "roles": ["school_admin", "director"], "email": ""}
    page = client_a.post(f"/administrare/conturi/{secretary.pk}/editare/", mine).content.decode()
    assert "propriile roluri" in page
    with schema_context("school_a"):
        assert User.objects.get(pk=secretary.pk).roles == [Role.SCHOOL_ADMIN]


def test_the_admin_links_and_unlinks_a_parent_and_a_student(client_a, secretary, student):
    parent = make_user("school_a", "mama.anei", [Role.PARENT])
    sign_in_with_2fa(client_a, secretary)
    url = f"/administrare/conturi/{parent.pk}/copii/"
    client_a.post(url, {"elev": "nu.exista"})
    client_a.post(url, {"elev": secretary.username})  # not a student
    with schema_context("school_a"):
        assert not ParentLink.objects.filter(parent=parent).exists()
    client_a.post(url, {"elev": student.username})
    page = client_a.get(f"/administrare/conturi/{parent.pk}/editare/").content.decode()
    assert student.username in page
    client_a.post(url, {"scoate": str(student.pk)})
    with schema_context("school_a"):
        assert not ParentLink.objects.filter(parent=parent).exists()
    assert client_a.post(url, {"scoate": "abc"}).status_code == 403
