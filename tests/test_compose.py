"""The deployment files: docker-compose.yml (validated, not run: no Docker engine here), the
Dockerfile and .env.example, and that no secret or default password is in the repository; the
portal reached over https only, through its TLS proxy (deploy/nginx-portal.conf)."""

from __future__ import annotations

import ipaddress
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
    assert set(services) == {"postgres", "redis", "portal", "proxy", *AIRFLOW_SERVICES}
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
    # environment and "…" is the operators' guide's placeholder
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


DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
NGINX_CONF = ROOT / "deploy" / "nginx-portal.conf"


def with_defaults(text: str) -> str:
    """`text` as compose reads it when .env leaves the optional values empty: ${VAR:-default}
    is the default; a required ${VAR:?...} stays a placeholder."""
    return REQUIRED.sub(lambda m: f"<{m.group(1)}>", DEFAULTED.sub(lambda m: m.group(2), text))


def published(service: dict) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each port the service publishes; an empty
    address is every interface."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # the long syntax
            found.append(
                (port.get("host_ip", ""), str(port.get("published", "")), str(port["target"]))
            )
            continue
        parts = with_defaults(str(port)).split("/")[0].split(":")
        if len(parts) == 1:  # a container port alone: a random port on every interface
            found.append(("", "", parts[0]))
        elif len(parts) == 2:
            found.append(("", parts[0], parts[1]))
        else:
            found.append((":".join(parts[:-2]), parts[-2], parts[-1]))
    return found


def nginx_directives() -> list[tuple[str, str]]:
    """(name, arguments) of each directive of the proxy's configuration, comments left out."""
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text(encoding="utf-8"))
    return [
        (m.group(1), m.group(2).strip()) for m in re.finditer(r"([a-z_0-9]+)\s+([^;{}]*);", text)
    ]


def seconds(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()
    return int(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[unit]


def test_nothing_is_served_as_plain_http_on_every_interface(compose):
    """A deployer reading the compose file finds one port open to the network: the TLS proxy's
    443. The portal publishes none; anything else is bound to the host's loopback."""
    services = compose["services"]
    assert "ports" not in services["portal"]
    open_ports = []
    for name, service in services.items():
        for address, _, target in published(service):
            if address in ("", "0.0.0.0", "::", "[::]"):
                open_ports.append((name, target))
            else:
                assert address == "127.0.0.1", (name, address)
    assert open_ports == [("proxy", "443")]
    assert published(services["proxy"]) == [("", "443", "443")]
    assert published(services["airflow-apiserver"]) == [("127.0.0.1", "8080", "8080")]


def test_the_proxy_serves_the_portal_over_tls_with_the_operators_certificate(compose):
    proxy = compose["services"]["proxy"]
    assert re.fullmatch(r"nginx:\d+\.\d+-alpine", proxy["image"])
    mounts = {}
    for volume in proxy["volumes"]:
        source, target, mode = volume.rsplit(":", 2)
        assert mode == "ro", volume
        mounts[target] = source
    assert mounts["/etc/nginx/conf.d/default.conf"] == "./deploy/nginx-portal.conf"
    directives = nginx_directives()
    named = {}
    for name, arguments in directives:
        named.setdefault(name, []).append(arguments)
    # the certificate and key: the operator's files, named in .env, never in the repository
    for directive, variable in (
        ("ssl_certificate", "OUTREACH_TLS_CERT"),
        ("ssl_certificate_key", "OUTREACH_TLS_KEY"),
    ):
        (path,) = named[directive]
        assert REQUIRED.fullmatch(mounts[path]).group(1) == variable
    # every listener is TLS on 443, or the health check on the container's loopback
    assert sorted(named["listen"]) == ["127.0.0.1:8081", "443 ssl"]
    assert set(named["ssl_protocols"]) == {"TLSv1.2 TLSv1.3"}
    assert "8081/health" in " ".join(proxy["healthcheck"]["test"])
    # to the portal, with the client's address as the proxy sees it (never the client's own
    # X-Forwarded-For) and the scheme
    assert named["proxy_pass"] == ["http://portal:8000"]
    portal = compose["services"]["portal"]
    assert portal["command"][portal["command"].index("--port") + 1] == "8000"
    headers = dict(value.split(None, 1) for value in named["proxy_set_header"])
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "https"
    # read deadlines on headers and bodies, and a bound on connections per address
    assert seconds(named["client_header_timeout"][0]) <= 30
    assert seconds(named["client_body_timeout"][0]) <= 60
    assert named["limit_conn"] and named["limit_conn_zone"][0].startswith("$binary_remote_addr")
    assert proxy["depends_on"]["portal"]["condition"] == "service_healthy"


def test_the_portal_believes_forwarded_headers_from_its_proxy_only(compose):
    portal, proxy = compose["services"]["portal"], compose["services"]["proxy"]
    assert "--forwarded-allow-ips" not in portal["command"]
    trusted = with_defaults(environment(portal)["OUTREACH_PROXY_IPS"])
    address = ipaddress.ip_address(proxy["networks"]["edge"]["ipv4_address"])
    assert trusted == str(address)
    (pool,) = compose["networks"]["edge"]["ipam"]["config"]
    # the proxy's fixed address is in the network, outside the range the others are given
    assert address in ipaddress.ip_network(pool["subnet"])
    assert address not in ipaddress.ip_network(pool["ip_range"])
    assert set(portal["networks"]) == {"default", "edge"} and set(proxy["networks"]) == {"edge"}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")
    for setting in ("OUTREACH_PROXY_IPS", "OUTREACH_TLS_CERT", "OUTREACH_TLS_KEY"):
        assert re.search(rf"^{setting}=", example, re.MULTILINE), setting
        assert setting in guide, setting
    # the comment above the setting says what it is and its default outside compose
    lines = example.splitlines()
    above = []
    for line in reversed(lines[: lines.index("OUTREACH_PROXY_IPS=")]):
        if not line.startswith("#"):
            break
        above.append(line)
    assert "X-Forwarded-For" in " ".join(above) and "127.0.0.1" in " ".join(above)
