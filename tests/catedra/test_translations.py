"""Catedra's Romanian over django-allauth's: with diacritics, formal, and no invitation to sign
up (schools make the accounts); the committed .mo says what the .po says."""

import ast
import gettext
import re

from django.test import Client

from catedra.settings import LOCALE_PATHS

PO = LOCALE_PATHS[0] / "ro" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[dict]:
    entries = []
    for block in text.split("\n\n"):
        data, current = {}, None
        for line in (line for line in block.splitlines() if not line.startswith("#")):
            if match := re.match(r'^(msgctxt|msgid|msgstr) (".*")$', line):
                current = match.group(1)
                data[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                data[current] += ast.literal_eval(line)
        if data.get("msgid"):
            entries.append(data)
    return entries


def test_the_compiled_catalogue_matches_its_source():
    entries = _entries(PO.read_text(encoding="utf-8"))
    with open(PO.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert len(entries) > 30
    for entry in entries:
        if "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"], entry
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"], entry


def test_the_sign_in_pages_speak_romanian_with_diacritics_and_invite_no_sign_up(school_a):
    client = Client(HTTP_HOST=f"{school_a.slug}.localhost")
    page = client.get("/cont/login/").content.decode()
    assert "Conectare" in page and "Ați uitat parola?" in page and "Utilizator sau e-mail" in page
    assert "/cont/signup/" not in page and "inregistreaza" not in page.lower()
    refused = client.post("/cont/login/", {"login": "nimeni", "password": "greșită"}).content.decode()
    assert "Numele de utilizator sau parola nu sunt corecte." in refused
    reset = client.get("/cont/password/reset/").content.decode()
    assert "Scrieți adresa de e-mail a contului" in reset and "Trimite linkul" in reset
    assert "Conturile le face școala" in client.get("/cont/signup/").content.decode()
