"""CATEDRA_ENV=production refuses to start without real servers, a secret and HTTPS."""

import pytest
from django.conf import settings

from tests.helpers import clean_env, run_catedra

GOOD_SECRET = "q7Xv9-Lm2Rt8Zp4Wn6Ys1Kd3Hf5Jb0Cg2Ve8Ua7Ti9Oo1Pl3Mk5Nj7Bh9Gy"
GOOD_BACKUP_KEY = "Y2F0ZWRyYS10ZXN0LXByb2R1Y3Rpb24ta2V5LTMyYnk="  # 32 bytes, URL-safe base64
GOOD_ANCHOR_KEY = "Y2F0ZWRyYS10ZXN0LWF1ZGl0LWFuY2hvci1rZXktMzI="  # 32 bytes, URL-safe base64
# A VAPID pair made for these tests only (`catedra vapid_keys`).
GOOD_VAPID = ("LTrX0sdt9eXkR7u53ftg5_y-hK8DB9pq8hcbJApyB5Q",
              "BMLntCkMue01wIuliSujHt6raqXW67lIdeMOwVavkOw7SChfn6h5AT1b4YG03PA2YawRhPUzie1kodV8wgg_yQs")  # fmt: skip


@pytest.fixture(scope="module")
def production_env() -> dict[str, str]:
    return clean_env(
        CATEDRA_ENV="production",
        DATABASE_URL=settings.DATABASE_URL,
        DATABASE_OWNER_URL=settings.DATABASE_OWNER_URL,
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=GOOD_SECRET,
        BACKUP_ENCRYPTION_KEY=GOOD_BACKUP_KEY,
        AUDIT_ANCHOR_KEY=GOOD_ANCHOR_KEY,
        BACKUP_S3_ENDPOINT="https://s3.backups.example.test",
        BACKUP_DATABASE_URL=settings.BACKUP_DATABASE_URL,
        EMAIL_URL="smtp+tls://catedra:secret@smtp.example.test:587",
        CATEDRA_VAPID_PRIVATE_KEY=GOOD_VAPID[0],
        CATEDRA_VAPID_PUBLIC_KEY=GOOD_VAPID[1],
    )


def test_check_deploy_passes_with_every_production_setting_given(production_env):
    result = run_catedra("check", "--deploy", env=production_env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_the_embedded_servers_and_the_development_secret():
    result = run_catedra("check", "--deploy", env=clean_env(CATEDRA_ENV="production"))
    assert result.returncode != 0
    for named in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "BACKUP_ENCRYPTION_KEY",
        "AUDIT_ANCHOR_KEY",
        "BACKUP_S3_ENDPOINT",
        "EMAIL_URL",
        "CATEDRA_VAPID_PRIVATE_KEY",
    ):
        assert named in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("DEBUG", "true", "DEBUG"),
        ("SECURE_SSL_REDIRECT", "false", "SECURE_SSL_REDIRECT"),
        ("SECURE_HSTS_SECONDS", "3600", "SECURE_HSTS_SECONDS"),
        ("SESSION_COOKIE_SECURE", "false", "SESSION_COOKIE_SECURE"),
        ("CSRF_COOKIE_SECURE", "false", "CSRF_COOKIE_SECURE"),
        ("SECRET_KEY", "short", "SECRET_KEY"),
        ("SECRET_KEY", "k" * 64, "SECRET_KEY"),
        ("BACKUP_ENCRYPTION_KEY", "short", "BACKUP_ENCRYPTION_KEY"),
        ("BACKUP_ENCRYPTION_KEY", "Y2F0ZWRyYS1kZXZlbG9wbWVudC1iYWNrdXAta2V5ISE=", "BACKUP_ENCRYPTION_KEY"),
        ("AUDIT_ANCHOR_KEY", "short", "AUDIT_ANCHOR_KEY"),
        ("AUDIT_ANCHOR_KEY", "Y2F0ZWRyYS1kZXZlbG9wbWVudC1hbmNob3Ita2V5ISE=", "AUDIT_ANCHOR_KEY"),
        ("AUDIT_ANCHOR_KEY", GOOD_BACKUP_KEY, "AUDIT_ANCHOR_KEY"),  # the backup key again
        ("BACKUP_S3_ENDPOINT", "", "BACKUP_S3_ENDPOINT"),
        ("BACKUP_DATABASE_URL", "", "BACKUP_DATABASE_URL"),
        ("EMAIL_URL", "", "EMAIL_URL"),
        ("CATEDRA_VAPID_PRIVATE_KEY", "short", "CATEDRA_VAPID_PRIVATE_KEY"),
        ("CATEDRA_VAPID_PUBLIC_KEY", GOOD_VAPID[0], "CATEDRA_VAPID_PRIVATE_KEY"),  # not the private key's pair
    ],
)
def test_production_refuses_each_unsafe_setting_by_name(production_env, variable, value, named):
    result = run_catedra("check", "--deploy", env={**production_env, variable: value})
    assert result.returncode != 0
    assert named in result.stderr
    assert "refuses to start" in result.stderr


def test_secrets_can_come_from_files(production_env, tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(GOOD_SECRET)
    env = {key: value for key, value in production_env.items() if key != "SECRET_KEY"}
    result = run_catedra("check", "--deploy", env={**env, "SECRET_KEY_FILE": str(secret_file)})
    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_name_is_refused():
    result = run_catedra("check", env=clean_env(CATEDRA_ENV="staging"))
    assert result.returncode != 0
    assert "CATEDRA_ENV" in result.stderr


def test_development_defaults_are_romanian_and_bucharest_time():
    assert settings.LANGUAGE_CODE == "ro"
    assert settings.TIME_ZONE == "Europe/Bucharest"
    assert settings.DEBUG is False
