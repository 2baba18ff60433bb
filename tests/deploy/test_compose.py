"""deploy/docker/compose.yaml: valid, with and without the Solr profile; its
roles are the entrypoint's; every service is checked for health; secrets
only come from .env, which .env.example documents."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import DEPLOY, need_tool

DOCKER = DEPLOY / "docker"
ENTRYPOINT = DOCKER / "entrypoint.sh"
# utilities of the entrypoint, not process roles
UTILITY_ROLES = {"ckan", "shell", "health"}


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text("utf-8"))


def entrypoint_roles() -> set[str]:
    text = ENTRYPOINT.read_text("utf-8")
    main = text[text.index("main() {") :]
    case = main[main.index("case $role in") : main.index("esac")]
    roles = set()
    for pattern in re.findall(r"^ {8}([a-z][a-z| -]*)\)$", case, re.M):
        roles.update(p.strip() for p in pattern.split("|"))
    return roles


def ckan_services(spec: dict) -> dict[str, dict]:
    image = spec["x-ckan"]["image"]
    return {n: s for n, s in spec["services"].items() if s.get("image") == image}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of deploy/ with .env made from .env.example (compose reads both)."""
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copy(DOCKER / ".env.example", tmp_path / "deploy" / "docker" / ".env")
    return tmp_path / "deploy" / "docker"


@pytest.mark.parametrize("profile", [[], ["--profile", "solr"]], ids=["pg", "solr"])
def test_compose_file_is_valid(project: Path, profile: list[str]):
    tool = need_tool(shutil.which("docker-compose"), "docker-compose")
    result = subprocess.run(
        [tool, *profile, "config"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert {"db", "redis", "nginx", "init", "web"} <= set(rendered["services"])
    web = rendered["services"]["web"]["environment"]
    assert web["CKAN_SQLALCHEMY_URL"].startswith(
        "postgresql://ckan:change-me-ckan-db@db"
    )
    assert rendered["services"]["solr"]["profiles"] == ["solr"]


def test_compose_without_env_file_names_the_missing_secret(tmp_path: Path):
    tool = need_tool(shutil.which("docker-compose"), "docker-compose")
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    (tmp_path / "deploy" / "docker" / ".env").write_text("", "utf-8")
    result = subprocess.run(
        [tool, "config"],
        cwd=tmp_path / "deploy" / "docker",
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "in .env" in result.stderr


def test_every_compose_role_is_an_entrypoint_role_and_back():
    spec = compose()
    roles = entrypoint_roles()
    assert {"web", "worker", "harvest-gather", "harvest-fetch", "harvest-run",
            "dcat-dump", "init"} <= roles  # fmt: skip
    used = set()
    for name, service in ckan_services(spec).items():
        (role,) = service["command"]
        assert role in roles, f"{name}: {role} is not a role of entrypoint.sh"
        used.add(role)
        health = service.get("healthcheck", spec["x-ckan"]["healthcheck"])
        if not health.get("disable"):
            assert health["test"][1] == "/srv/app/entrypoint.sh"
            assert health["test"][2] == "health"
    units = {p.name for p in (DEPLOY / "systemd").glob("ckan-*")}
    for role in roles - UTILITY_ROLES:
        in_systemd = f"ckan-{role}.service" in units
        assert role in used or in_systemd, f"role {role} is used nowhere"
        if role != "init":  # install.sh runs it
            assert in_systemd, f"no systemd unit for {role}"


def test_every_service_has_a_health_check_restart_and_named_volumes():
    spec = compose()
    for name, service in spec["services"].items():
        health = service.get("healthcheck")
        assert health, f"{name} has no health check"
        if health.get("disable"):
            assert name == "init"  # one shot: the others wait for its exit code
            assert service["restart"] == "no"
        else:
            assert service["restart"] == "unless-stopped", name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(".") or source in spec["volumes"], (name, volume)


def test_secrets_come_from_env_and_every_variable_is_documented():
    text = (DOCKER / "compose.yaml").read_text("utf-8")
    example = (DOCKER / ".env.example").read_text("utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    assert used - documented == set()
    # read by the entrypoint and ckan_ini.py from the container environment
    for name in ("GUNICORN_TIMEOUT", "HARVEST_RUN_INTERVAL", "DCAT_DUMP_CHECK_INTERVAL",
                 "CKAN_SYSADMIN_NAME", "CKAN_SYSADMIN_PASSWORD", "TERRITOIRE_SEARCH"):  # fmt: skip
        assert name in documented
        assert name in (
            ENTRYPOINT.read_text("utf-8")
            + text
            + (DOCKER / "ckan_ini.py").read_text("utf-8")
        )
    # no literal password in the compose file: only ${…} references
    for line in text.splitlines():
        if re.search(r"PASSWORD|SECRET", line) and ":" in line:
            value = line.split(":", 1)[1]
            assert "${" in value or not value.strip() or "@" not in value, line


def test_the_solr_profile_uses_our_schema():
    solr = compose()["services"]["solr"]
    assert solr["profiles"] == ["solr"]
    assert "../solr:/opt/territoire-solr:ro" in solr["volumes"]
    assert solr["command"] == ["/opt/territoire-solr/precreate.sh"]
    env = compose()["x-ckan"]["environment"]
    assert env["CKAN_SOLR_URL"] == "http://solr:8983/solr/ckan"
    assert env["TERRITOIRE_SEARCH"] == "${TERRITOIRE_SEARCH:-postgresql}"
