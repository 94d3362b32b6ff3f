"""A regular (non-editable) install carries the rule catalogue and the templates."""

import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_wheel_ships_rules_and_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("budgetcheck-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert {f"checker/data/rules/{n}" for n in rule_files} <= names
    assert "checker/data/rules/VERSION" in names
    templates = {p.name for p in (ROOT / "templates").iterdir() if p.is_file()}
    assert templates and {f"checker/data/templates/{n}" for n in templates} <= names
    from checker import loader

    if loader._fastyaml is not None:  # built here, so the wheel must carry it too (with libyaml's licence in the sdist)
        assert any(n.startswith("checker/_fastyaml") and n.endswith((".so", ".pyd")) for n in names)
