"""The Helm chart (helm/catedra) cannot drift from the application without a test failing.

Helm is not installed here, so the templates are checked by reading them: every
`.Values` path they use exists in values.yaml, every environment variable they set is
one the settings read, and production's required variables are all provided. Where
`helm` is on PATH (or named by HELM), `helm lint` and `helm template` run too.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import clean_env, database_env

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "catedra"
SETTINGS = ROOT / "platform" / "catedra" / "settings.py"
TEMPLATES = sorted((CHART / "templates").glob("*.yaml")) + sorted((CHART / "templates").glob("*.tpl"))
# What production refuses to start without (settings._production_problems).
PRODUCTION_REQUIRED = {
    "CATEDRA_ENV", "DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL", "SECRET_KEY", "BACKUP_ENCRYPTION_KEY",
    "AUDIT_ANCHOR_KEY", "BACKUP_S3_ENDPOINT", "BACKUP_DATABASE_URL", "EMAIL_URL", "CATEDRA_VAPID_PRIVATE_KEY",
    "CATEDRA_VAPID_PUBLIC_KEY",
}  # fmt: skip


class UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key, deep=deep) for key, _value in node.value]
        duplicates = {key for key in keys if keys.count(key) > 1}
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate keys {duplicates}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load(path: Path):
    return yaml.load(path.read_text(), Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass


def values() -> dict:
    return load(CHART / "values.yaml")


def settings_variables() -> set[str]:
    """Every environment variable platform/catedra/settings.py reads."""
    return set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', SETTINGS.read_text()))


def configmap_variables() -> set[str]:
    data = (CHART / "templates" / "configmap.yaml").read_text().split("\ndata:\n", 1)[1]
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]*):", data, flags=re.MULTILINE))


def test_every_plain_yaml_file_of_the_chart_parses_without_duplicate_keys():
    plain = [path for path in CHART.rglob("*.yaml") if "templates" not in path.parts]
    assert {path.name for path in plain} >= {"Chart.yaml", "values.yaml"}
    for path in plain:
        assert isinstance(load(path), dict), path


def test_the_chart_describes_catedra_at_the_packages_version():
    chart = load(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "catedra"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])


def test_every_values_path_a_template_uses_is_in_values_yaml():
    known = values()
    missing = []
    for template in TEMPLATES:
        for path in set(re.findall(r"\.Values((?:\.\w+)+)", template.read_text())):
            node = known
            for key in path.strip(".").split("."):
                if not isinstance(node, dict) or key not in node:
                    missing.append(f"{template.name}: .Values{path}")
                    break
                node = node[key]
    assert missing == []


def test_every_file_a_template_reads_is_in_the_chart():
    for template in TEMPLATES:
        for name in re.findall(r'\.Files\.Get\s+"([^"]+)"', template.read_text()):
            assert (CHART / name).is_file(), f"{template.name} reads {name}"


def test_every_variable_the_chart_sets_is_one_the_settings_read():
    read = settings_variables()
    assert len(read) > 30  # the pattern still finds the settings
    set_by_chart = configmap_variables() | set(values()["secrets"]["values"])
    assert set_by_chart - read == set()


def test_the_chart_provides_every_variable_production_requires():
    assert settings_variables() >= PRODUCTION_REQUIRED
    assert configmap_variables() | set(values()["secrets"]["values"]) >= PRODUCTION_REQUIRED
    assert "CATEDRA_ENV: production" in (CHART / "templates" / "configmap.yaml").read_text()


def test_beat_runs_exactly_once_and_is_replaced_rather_than_rolled():
    beat = (CHART / "templates" / "beat.yaml").read_text()
    assert re.search(r"^  replicas: 1$", beat, flags=re.MULTILINE)
    assert re.search(r"^    type: Recreate$", beat, flags=re.MULTILINE)


def test_migrations_run_as_a_hook_before_install_and_upgrade_after_the_settings_they_need():
    job = (CHART / "templates" / "migrations-job.yaml").read_text()
    assert 'command: ["catedra", "migrate"]' in job
    for name in ("configmap.yaml", "secret.yaml", "migrations-job.yaml"):
        text = (CHART / "templates" / name).read_text()
        assert "helm.sh/hook: pre-install,pre-upgrade" in text, name
    weights = [int(w) for w in re.findall(r'helm.sh/hook-weight: "(-?\d+)"', job)]
    assert weights == [-10, 0]  # the checker's script first, then the job


def test_the_primary_check_refuses_a_server_without_a_synchronous_standby(db):
    """The migrations job's first step, against the test database's stand-alone server."""
    result = subprocess.run(
        [sys.executable, str(CHART / "files" / "check_primary.py")],
        env=clean_env(**database_env()), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "synchronous_standby_names is empty" in result.stderr


def helm() -> str:
    found = os.environ.get("HELM") or shutil.which("helm")
    if not found:
        pytest.skip("helm is not installed (set HELM=/path/to/helm to lint and render the chart)")
    return found


def test_helm_lints_and_renders_the_chart():
    binary = helm()
    lint = subprocess.run([binary, "lint", str(CHART)], capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    rendered = subprocess.run(
        [binary, "template", "catedra", str(CHART), "--set", "controlPlaneHost=admin.example.ro"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert rendered.returncode == 0, rendered.stderr
    documents = [doc for doc in yaml.load_all(rendered.stdout, Loader=UniqueKeyLoader) if doc]
    kinds = sorted(f"{doc['kind']}/{doc['metadata']['name']}" for doc in documents)
    assert kinds == [
        "ConfigMap/catedra-check-primary", "ConfigMap/catedra-config", "Deployment/catedra-beat",
        "Deployment/catedra-web", "Deployment/catedra-worker", "Ingress/catedra", "Job/catedra-migrate",
        "PodDisruptionBudget/catedra-web", "Secret/catedra-env", "Service/catedra-web",
    ]  # fmt: skip
    ingress = next(doc for doc in documents if doc["kind"] == "Ingress")
    assert ingress["spec"]["tls"][0]["hosts"] == ["catedra.example.ro", "*.catedra.example.ro", "admin.example.ro"]
