"""The school admin's pages for accounts: list and search, create, import from CSV,
deactivate, and lift a two-factor lockout. Rules live in accounts.services."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import User
from accounts.roles import SCHOOL_ROLES, Role
from catedra.text import search_text

MAX_CSV_BYTES = 1024 * 1024


def manager_required(view):
    """The secretariat and the leadership; anyone else signed in gets a 404, as on every page
    they may not see."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_role(*services.MANAGERS):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


class UserForm(forms.Form):
    last_name = forms.CharField(label=gettext_lazy("Nume"), max_length=150)
    first_name = forms.CharField(label=gettext_lazy("Prenume"), max_length=150)
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("Roluri"), choices=[(r.value, r.label) for r in Role if r in SCHOOL_ROLES],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    birth_date = forms.DateField(
        label=gettext_lazy("Data nașterii"), required=False, widget=forms.DateInput({"type": "date"})
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fișier CSV"))


@manager_required
def users_list(request):
    users = User.objects.order_by("last_name", "first_name", "username")
    if query := search_text(request.GET.get("q", "")):
        users = users.filter(
            Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
        )
    page = Paginator(users, 50).get_page(request.GET.get("pagina"))
    return render(request, "accounts/admin_users.html", {"page": page, "q": query})


@manager_required
def user_new(request):
    form = UserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Contul a fost creat: %(username)s.") % {"username": user.username})
            return redirect("admin-users")
    return render(request, "accounts/admin_user_new.html", {"form": form})


@manager_required
def user_edit(request, user_id: int):
    """Change a school user's name, e-mail, birth date or roles (audited, old and new)."""
    person = get_object_or_404(User, pk=user_id)
    initial = {name: getattr(person, name) for name in ("last_name", "first_name", "roles", "email", "birth_date")}
    form = UserForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update(actor=request.user, user=person, **form.cleaned_data)
        except services.NotAllowed as exc:
            person.refresh_from_db()
            form.add_error(None, str(exc))
        except ValidationError as exc:
            person.refresh_from_db()
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Contul %(username)s a fost modificat.") % {"username": person.username})
            return redirect("admin-users")
    context = {"form": form, "person": person, "children": services.children_of(parent=person)}
    return render(request, "accounts/admin_user_edit.html", context)


@require_POST
@manager_required
def parent_links(request, user_id: int):
    """Link a parent to a student (by the student's username) or remove a link."""
    parent = get_object_or_404(User, pk=user_id)
    if unlink := request.POST.get("scoate", ""):
        student = get_object_or_404(User, pk=int(unlink)) if unlink.isdigit() else None
        if student is None:
            raise PermissionDenied
        services.parent_unlink(actor=request.user, parent=parent, student=student)
        messages.success(request, _("Legătura a fost ștearsă."))
        return redirect("admin-user-edit", user_id=parent.pk)
    student = User.objects.filter(username=request.POST.get("elev", "").strip()[:150]).first()
    try:
        if student is None:
            raise ValidationError(_("Nu există un elev cu acest nume de utilizator."))
        services.parent_link(actor=request.user, parent=parent, student=student)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(parent)s vede acum datele lui %(student)s.") % {
            "parent": parent.get_full_name() or parent.username, "student": student.get_full_name() or student.username
        })  # fmt: skip
    return redirect("admin-user-edit", user_id=parent.pk)


@manager_required
def users_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            form.add_error("file", _("Fișierul are peste 1 MB."))
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                form.add_error("file", _("Fișierul trebuie salvat ca CSV UTF-8."))
            else:
                report = services.users_import_csv(actor=request.user, text=text)
                if not report.errors:
                    messages.success(request, _("Au fost create %(n)d conturi.") % {"n": len(report.created)})
    return render(request, "accounts/admin_import.html", {"form": form, "report": report})


@require_POST
@manager_required
def user_action(request, user_id: int, action: str):
    user = get_object_or_404(User, pk=user_id)
    if action == "dezactivare":
        try:
            services.user_deactivate(actor=request.user, user=user)
        except services.NotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Contul %(username)s a fost dezactivat.") % {"username": user.username})
    elif action == "reactivare":
        services.user_reactivate(actor=request.user, user=user)  # NotAllowed is a 403
        messages.success(request, _("Contul %(username)s a fost reactivat.") % {"username": user.username})
    elif action == "deblocare":
        services.lockouts_lift(actor=request.user, user=user)
        messages.success(request, _("%(username)s poate încerca din nou.") % {"username": user.username})
    elif action == "link-parola":
        try:
            link = services.password_link_give(school=request.tenant, actor=request.user, user=user)  # NotAllowed: 403
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if link is not None:  # a parent or student without e-mail: the admin hands it over
                return render(request, "accounts/admin_password_link.html", {"person": user, "link": link})
            messages.success(
                request,
                _("Linkul pentru parolă nouă a fost trimis pe adresa de e-mail a lui %(name)s.")
                % {"name": user.get_full_name() or user.username},
            )
    else:
        raise PermissionDenied
    return redirect("admin-users")
