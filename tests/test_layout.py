"""The layout guard: `platform/` is a source root, never a package."""

import platform
import sysconfig
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_platform_is_the_standard_library_module():
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().parent == stdlib
    assert callable(platform.python_version)


def test_platform_folder_holds_no_python_file_of_its_own():
    assert sorted(path.name for path in (ROOT / "platform").glob("*.py")) == []


def test_ruff_runs_with_the_builtin_shadowing_and_namespace_package_rules():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    selected = config["tool"]["ruff"]["lint"]["select"]
    assert {"A", "INP", "DJ", "DTZ", "S", "B", "UP", "I"} <= set(selected)


def test_every_dependency_is_pinned_to_one_version():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = config["dependencies"] + [req for extra in config["optional-dependencies"].values() for req in extra]
    unpinned = [req for req in requirements if "==" not in req]
    assert unpinned == []


def test_every_destructive_button_asks_for_confirmation():
    """A .danger button (and an account's deactivation) carries data-confirm: confirm.js asks
    before the form goes (base.html loads it on every page)."""
    import re

    root = Path(__file__).resolve().parents[1]
    missing = []
    for template in root.glob("**/templates/**/*.html"):
        if ".venv" in template.parts:
            continue
        for button in re.findall(r"<button[^>]*>", template.read_text(encoding="utf-8")):
            if "danger" in button and "data-confirm=" not in button:
                missing.append(f"{template.relative_to(root)}: {button}")
    assert not missing, missing
    assert "catedra/confirm.js" in (root / "platform/catedra/templates/base.html").read_text()
    users = (root / "platform/accounts/templates/accounts/admin_users.html").read_text()
    assert re.search(r"'dezactivare' %\}\">\{% csrf_token %\}<button[^>]*data-confirm=", users)
