"""The pages of the data-subject rights: the privacy notice (read by anyone on the school's
host, accepted by whoever signs in while a version waits for them) and its publication."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.services import NotAllowed
from catalog.privacy import notices
from catalog.privacy.models import PrivacyNotice
from catalog.web import access
from catalog.web.configure_forms import plain_text


class NoticeForm(forms.ModelForm):
    class Meta:
        model = PrivacyNotice
        fields = notices.PARTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.Textarea(attrs={"rows": 4})
            field.validators.append(plain_text)
            field.error_messages["required"] = gettext_lazy("Completați această parte a notei.")


def notice(request):
    """The school's current notice; with the accept button for whoever must accept it."""
    current = notices.notice_current()
    due = request.session.get(notices.SESSION_KEY) if request.user.is_authenticated else None
    next_url = request.GET.get("next", "")
    return render(request, "privacy/notice.html", {"notice": current, "due": bool(due and current), "next": next_url})


@login_required
@require_POST
def accept(request):
    current = notices.notice_current()
    if current is not None:
        notices.notice_accept(user=request.user, notice=current)
    request.session.pop(notices.SESSION_KEY, None)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=False):
        next_url = "/"
    return redirect(next_url or "/")


@access.configurer_only
def configure(request):
    """The secretariat or the management publishes a new version (the last one, or the
    provider's template, prefilled)."""
    current = notices.notice_current()
    initial = {name: getattr(current, name) for name in notices.PARTS} if current else notices.DEFAULT_PARTS
    form = NoticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            published = notices.notice_publish(actor=request.user, **form.cleaned_data)
        except (ValidationError, NotAllowed) as error:
            form.add_error(None, access.refusal_text(error))
        else:
            messages.success(request, _("Versiunea %(v)s a notei a fost publicată.") % {"v": published.version})
            return redirect("privacy-configure")
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/configure.html", {"form": form, "current": current}, status=status)
