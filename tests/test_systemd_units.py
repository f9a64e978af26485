"""The systemd units' sandboxing, as ``systemd-analyze security`` rates it, and the README's
report of it: each service's exposure stays at or below what the README states."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SERVICES = ("hpcapi.service", "hpcapi-outputd.service")
# The README's line for a unit: "`hpcapi.service` ... exposure 1.4 ...".
_README_EXPOSURE = r"`{unit}`[^\n]*?exposure (\d+\.\d)"


def measured_exposure(unit: str) -> float:
    """The overall exposure ``systemd-analyze security --offline`` gives the unit file."""
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager",
         str(REPO / "systemd" / unit)],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert match, done.stdout[-500:]
    return float(match[1])


@pytest.mark.parametrize("unit", SERVICES)
def test_exposure_is_what_the_readme_reports(unit: str) -> None:
    """A unit whose sandbox is loosened fails here until the README says so."""
    readme = (REPO / "README.md").read_text()
    stated = re.search(_README_EXPOSURE.format(unit=re.escape(unit)), readme)
    assert stated, f"the README reports no systemd-analyze exposure for {unit}"
    assert measured_exposure(unit) <= float(stated[1])
