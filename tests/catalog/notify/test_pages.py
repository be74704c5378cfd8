"""The parent's notification settings, the Web Push subscription door (JSON, validated), and
the PWA's manifest and service worker on the school's host."""

import json

import pytest

from catalog.notify.models import Kind, Preference, PushSubscription
from tests.catalog.reports.test_documents import _anonymous

GOOD = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc:def", "keys": {"p256dh": "B" + "x" * 86, "auth": "y" * 22}}


def _post_json(page, body, content_type="application/json"):
    return page.post("/notificari/push/", data=json.dumps(body) if not isinstance(body, str) else body,
                     content_type=content_type)  # fmt: skip


def test_a_parent_chooses_what_how_and_how_often(cast, as_user):
    page = as_user(cast.parent)
    shown = page.get("/notificari/").content.decode()
    assert 'data-testid="notification-settings"' in shown and 'name="sms"' not in shown  # no SMS gateway here
    assert 'data-testid="push-subscribe"' in shown and "/static/web/push.js" in shown
    response = page.post("/notificari/", {"kinds": [Kind.GRADE, Kind.THRESHOLD], "rhythm": "daily", "email": "on",
                                          "sms": "on"})  # fmt: skip
    assert response.status_code == 302
    chosen = Preference.objects.get(user=cast.parent)
    assert (sorted(chosen.kinds), chosen.rhythm, chosen.email, chosen.push, chosen.sms) == (
        [Kind.GRADE, Kind.THRESHOLD], "daily", True, False, False)  # fmt: skip
    refused = page.post("/notificari/", {"kinds": ["everything"], "rhythm": "hourly"})
    assert refused.status_code == 400 and Preference.objects.get(user=cast.parent).rhythm == "daily"
    for other in (cast.mihai, cast.director):
        assert as_user(other).get("/notificari/").status_code == 404


def test_a_phone_subscribes_through_a_json_door_that_refuses_bad_input(cast, as_user, school_a):
    page = as_user(cast.parent)
    assert _post_json(page, GOOD).json() == {"subscribed": True}
    assert _post_json(page, GOOD).status_code == 200  # the same browser again: one subscription
    assert PushSubscription.objects.filter(user=cast.parent).count() == 1
    bad = [
        {},
        [],
        "not json",
        {"endpoint": "http://evil.example/x", "keys": GOOD["keys"]},
        {"endpoint": "javascript:alert(1)", "keys": GOOD["keys"]},
        {"endpoint": GOOD["endpoint"]},
        {"endpoint": GOOD["endpoint"], "keys": {"p256dh": "<script>", "auth": "y"}},
        {"endpoint": GOOD["endpoint"], "keys": {"p256dh": "B" * 500, "auth": "y"}},
        {"endpoint": GOOD["endpoint"] + "x" * 700, "keys": GOOD["keys"]},
    ]
    for body in bad:
        response = _post_json(page, body)
        assert response.status_code == 400 and response.json()["detail"], body
    assert _post_json(page, GOOD, content_type="text/plain").status_code == 400
    assert _post_json(as_user(cast.mihai), GOOD).status_code == 403
    assert _post_json(_anonymous(school_a), GOOD).status_code in (401, 403)  # CSRF or sign-in first
    assert PushSubscription.objects.count() == 1
    page.post("/notificari/push/oprire/")
    assert not PushSubscription.objects.exists()


def test_the_school_host_is_an_installable_app(cast, school_a):
    page = _anonymous(school_a)
    manifest = page.get("/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = manifest.json()
    assert body["name"] == f"Catedra · {school_a.name}" and body["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in body["icons"]}
    worker = page.get("/sw.js")
    assert worker["Service-Worker-Allowed"] == "/" and worker["Content-Type"].startswith("text/javascript")
    assert b'addEventListener("push"' in worker.content
    home = page.get("/").content.decode()
    assert 'rel="manifest"' in home and "apple-touch-icon" in home and "web/pwa.js" in home


@pytest.mark.parametrize("path", ["/notificari/push/", "/manifest.webmanifest"])
def test_wrong_methods_are_refused(cast, as_user, path):
    page = as_user(cast.parent)
    assert (page.get(path) if path.endswith("/push/") else page.post(path)).status_code == 405
