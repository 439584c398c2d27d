"""The deployment files: docker-compose.yml (validated, not run: no Docker engine here), the
Dockerfile and .env.example, and that no secret or default password is in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_SERVICES = [
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
]
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|FERNET|JWT|TOKEN", re.IGNORECASE)
REQUIRED = re.compile(r"\$\{(\w+):\?[^}]+\}")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    return env if isinstance(env, dict) else dict(item.split("=", 1) for item in env)


def test_the_services_of_airflow_3s_compose_layout(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "portal", *AIRFLOW_SERVICES}
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-triggerer"] == "triggerer"
    assert commands["airflow-worker"] == "celery worker"
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert service["build"] == "." and service["image"].startswith("outreach-airflow")
        env = environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
        if name != "airflow-init":
            assert (
                service["depends_on"]["airflow-init"]["condition"]
                == "service_completed_successfully"
            )


def test_every_airflow_service_shares_the_home_folder(compose):
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert "./var:/opt/outreach-home" in service["volumes"], name
        assert environment(service)["OUTREACH_HOME"] == "/opt/outreach-home"


def test_the_portal_serves_the_home_with_its_own_database_and_secret(compose):
    portal = compose["services"]["portal"]
    assert portal["entrypoint"] == ["outreach"] and portal["command"][0] == "web"
    assert "./var:/opt/outreach-home" in portal["volumes"]
    env = environment(portal)
    assert env["OUTREACH_HOME"] == "/opt/outreach-home"
    assert env["OUTREACH_PORTAL_DATABASE_URL"].endswith("@postgres/portal")
    assert REQUIRED.search(env["OUTREACH_PORTAL_SECRET"])
    init = "\n".join(compose["services"]["airflow-init"]["command"])
    assert "create database portal" in init


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if name != "airflow-init":
            assert service["healthcheck"]["test"], name


def test_no_literal_secret_and_the_stack_refuses_to_start_without_them(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAMES.search(key) or "@postgres" in str(value):
                # a secret is only ever ${VAR:?message}: compose stops when it is unset or empty
                assert REQUIRED.search(str(value)) or not str(value), (name, key, value)
    required = set(REQUIRED.findall(text))
    assert {
        "POSTGRES_PASSWORD",
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_API_SECRET_KEY",
        "AIRFLOW_ADMIN_PASSWORD",
        "AIRFLOW_ADMIN_USERNAME",
    } <= required
    init = "\n".join(compose["services"]["airflow-init"]["command"])
    assert "refusing to start" in init and "airflow db migrate" in init
    assert "airflow pools set duckdb_writer 1" in init


def test_env_example_documents_every_required_variable_and_holds_no_value(compose):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    for name in set(REQUIRED.findall(text)):
        assert name in example and example[name] == "", name
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_the_image_is_the_official_airflow_with_the_locked_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM apache/airflow:3\.3\.\d+-python3\.11$", dockerfile, re.MULTILINE)
    assert "uv export --frozen" in dockerfile and "uv.lock" in dockerfile


def test_no_secret_or_default_password_in_the_repository():
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    # a name that says secret with a literal value: quoted after ":" or "=" (code, JSON, YAML),
    # or unquoted after "=" at the start of a line (.env, shell); "${...}" references the
    # environment and "…" is the README's placeholder
    name = r"\w*(?:password|passwd|secret|fernet|api_key|token)\w*"
    pattern = re.compile(
        rf"{name}[\"']?[ \t]*[:=][ \t]*[\"'](?![$…\"'])[^\"'\n]+[\"']"
        rf"|^[ \t]*(?:export[ \t]+)?{name}=(?![$\s\"'])\S+",
        re.IGNORECASE | re.MULTILINE,
    )
    offenders = []
    for name in files:
        path = ROOT / name
        if path.suffix in (".png", ".docx", ".xlsx", ".lock") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        offenders += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == [], "\n".join(offenders)
