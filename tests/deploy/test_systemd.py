"""deploy/systemd: the units pass `systemd-analyze verify` (rendered with
this checkout's virtualenv in place of /opt/ckan/venv, so that the programs
they start exist), restart what must run, and time what runs periodically."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEPLOY, need_tool

SYSTEMD = DEPLOY / "systemd"
UNITS = sorted(
    p for p in SYSTEMD.glob("ckan*") if p.suffix in (".service", ".timer", ".target")
)


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / name, encoding="utf-8")
    return parser


def test_units_pass_systemd_analyze_verify(tmp_path: Path):
    tool = need_tool(shutil.which("systemd-analyze"), "systemd")
    venv = Path(sys.executable).parent.parent
    for path in UNITS:
        text = path.read_text("utf-8").replace("/opt/ckan/venv", str(venv))
        (tmp_path / path.name).write_text(text, "utf-8")
    result = subprocess.run(
        [tool, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    # unknown keys are only warnings for systemd: none allowed here
    assert result.stderr.strip() == ""


@pytest.mark.parametrize(
    "name,command",
    [
        ("ckan-web.service", "gunicorn"),
        ("ckan-worker.service", "jobs worker"),
        ("ckan-harvest-gather.service", "harvester gather-consumer"),
        ("ckan-harvest-fetch.service", "harvester fetch-consumer"),
    ],
)
def test_long_running_roles_restart(name: str, command: str):
    service = unit(name)["Service"]
    assert command in service["ExecStart"]
    assert service["Restart"] == "always"
    assert service["User"] == "ckan"
    assert "/etc/ckan/ckan.ini" in (SYSTEMD / name).read_text("utf-8")


@pytest.mark.parametrize(
    "name,command",
    [
        ("ckan-harvest-run", "harvester run"),
        ("ckan-dcat-dump", "territoire dcat dump --if-stale"),
    ],
)
def test_periodic_roles_have_a_timer(name: str, command: str):
    service = unit(f"{name}.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"].endswith(command)
    timer = unit(f"{name}.timer")
    assert timer["Timer"]["OnUnitInactiveSec"]
    assert timer["Install"]["WantedBy"] == "ckan.target"


def test_install_script_installs_every_unit_and_the_logrotate_file():
    script = (SYSTEMD / "install.sh").read_text("utf-8")
    for path in UNITS:
        if path.suffix != ".target":
            assert path.name in script or path.name.startswith("ckan-"), path
    for name in ("ckan-web.service", "ckan-harvest-run.timer", "ckan-dcat-dump.timer"):
        assert name in script
    assert "/etc/logrotate.d/ckan" in script
    assert 'pip" install -q --upgrade "$WHEEL"' in script  # the wheel, not -e
    assert "install -e" not in script and "--editable" not in script
    logrotate = (SYSTEMD / "logrotate").read_text("utf-8")
    assert "/var/log/ckan/*.log" in logrotate
    assert "USR1" in logrotate  # gunicorn reopens its log


def test_the_nightly_backup_is_shipped_with_its_retention():
    service = unit("ckan-backup.service")["Service"]
    assert service["Type"] == "oneshot"
    assert "territoire backup create" in service["ExecStart"]
    assert "territoire backup prune /var/lib/ckan/backups" in service["ExecStartPost"]
    timer = unit("ckan-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "ckan.target"
    assert "ckan-backup.timer" in (SYSTEMD / "install.sh").read_text("utf-8")
