"""The architecture's import contracts (pyproject.toml, `make lint`): they hold on the code as
it is, and an import against them fails the lint."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("platform", "catalog", "tenants", "provisioning", "ops", "pyproject.toml")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports on a copy of the sources, importing them from there, not from the checkout."""
    environment = os.environ | {"PYTHONPATH": f"{tree}{os.pathsep}{tree / 'platform'}"}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=tree, env=environment, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "static", "templates", "locale", "*.mo", "*.po")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=ignore)
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_the_contracts_hold_and_an_import_of_tenancy_in_the_catalog_breaks_them(tree):
    kept = lint_imports(tree)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "0 broken" in kept.stdout

    models = tree / "catalog" / "structure" / "models.py"
    models.write_text(models.read_text() + "\nimport tenants  # noqa: E402, F401\n")
    broken = lint_imports(tree)

    assert broken.returncode != 0
    assert "The catalog never imports tenancy, provisioning or operations BROKEN" in broken.stdout
    assert "catalog.structure.models -> tenants" in broken.stdout


def test_an_import_up_the_catalog_layers_breaks_them(tree):
    selectors = tree / "catalog" / "structure" / "selectors.py"
    selectors.write_text(selectors.read_text() + "\nfrom catalog.grades import models  # noqa: E402, F401\n")

    broken = lint_imports(tree)

    assert broken.returncode != 0
    assert "The catalog in one direction" in broken.stdout and "BROKEN" in broken.stdout
