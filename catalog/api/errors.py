"""The school API's errors: one JSON shape, a stable `code` for programs and a Romanian
`detail` for people, on every refusal (ninja's own included)."""

from django.utils.translation import gettext_lazy as _
from ninja import Schema


class ErrorOut(Schema):
    code: str
    detail: str
    # Per parameter: [{"parameter", "message"}]; text refused before the API reads it (control
    # characters) comes as {parameter: [message]}, as the provider API words it.
    errors: list[dict[str, str]] | dict[str, list[str]] | None = None


class ApiRefusal(Exception):
    def __init__(self, status: int, code: str, detail, *, headers: dict | None = None, errors=None):
        super().__init__(code)
        self.status, self.code, self.detail, self.headers, self.errors = (
            status,
            code,
            str(detail),
            headers or {},
            errors,
        )


MESSAGES = {
    "unauthorized": _("Cheie API lipsă, greșită, expirată sau revocată (antet Authorization: Bearer <cheie>)."),
    "network_refused": _("Cheia nu poate fi folosită din această rețea."),
    "scope_missing": _("Cheia nu are dreptul {scope} cerut de această resursă."),
    "rate_limited": _("Prea multe cereri; reîncercați peste {seconds} secunde."),
    "invalid_parameter": _("Parametrii cererii nu sunt valizi."),
    "unknown_parameter": _("Parametrul „{name}” nu este cunoscut de această resursă."),
    "invalid_token": _("Cursorul sau marcajul de sincronizare nu este valid pentru această cerere."),
    "expired_token": _("Cursorul a expirat; reluați listarea de la început."),
    "sync_reset": _("Marcajul de sincronizare nu mai corespunde bazei de date: faceți o sincronizare completă."),
    "not_found": _("Resursa cerută nu există."),
    "https_required": _("API-ul se folosește doar prin HTTPS."),
}

# Every operation can answer these; each declares them in the OpenAPI document.
COMMON_RESPONSES = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def refusal(status: int, code: str, **values) -> ApiRefusal:
    return ApiRefusal(status, code, MESSAGES[code].format(**values) if values else MESSAGES[code])
