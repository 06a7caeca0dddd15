"""The helper scripts' own promises: scripts/setup-venv refuses a Python the pins were not
resolved for."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_setup_venv_refuses_another_python_naming_the_version_found_and_needed(tmp_path):
    # A copy of the script in a scratch tree: were the check to let the fake through, the venvs
    # it rebuilds are the scratch tree's, not the repository's.
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name in ("setup-venv", "requirements-test.txt", "requirements-checkov.txt"):
        shutil.copy2(REPO / "scripts" / name, scripts / name)
    fake = tmp_path / "python3.12"
    fake.write_text("#!/bin/sh\necho 3.12.4\n")
    fake.chmod(0o755)

    result = subprocess.run(
        [str(scripts / "setup-venv")], env={"PATH": "/usr/bin:/bin", "PYTHON": str(fake)},
        capture_output=True, text=True, timeout=60,
    )

    assert result.returncode != 0, result.stdout + result.stderr
    assert "FAIL" in result.stderr, result.stderr
    assert "Python 3.12.4" in result.stderr, result.stderr
    assert "need Python 3.11" in result.stderr, result.stderr
    assert not (tmp_path / ".venv").exists(), "nothing is built with the wrong Python"
