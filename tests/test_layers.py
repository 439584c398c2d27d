"""The code's one direction: the stages read the marts only, and the exposures say exactly
which marts each reader selects from."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

from outreach.core.home import DBT_PROJECT_DIR, PROJECT_ROOT

STAGES = ("report", "expectations")
# a table of a schema the stages must not read: ingest's raw layer, the seeds, dbt's layers
# below the marts
BELOW_THE_MARTS = re.compile(r"\b(raw|reference|staging|intermediate)\.([a-z_]+)\b")
MARTS = re.compile(r"\bmarts\.([a-z_]+)\b")


def _sources(package: str) -> dict[str, str]:
    return {
        f"{package}.{path.stem}": path.read_text(encoding="utf-8")
        for path in sorted((PROJECT_ROOT / package).glob("*.py"))
    }


def test_no_module_of_the_report_or_the_checks_reads_below_the_marts():
    found = {
        module: sorted({match.group(0) for match in BELOW_THE_MARTS.finditer(text)})
        for package in STAGES
        for module, text in _sources(package).items()
    }
    assert {module: tables for module, tables in found.items() if tables} == {}


def test_the_scanner_sees_a_raw_table():
    # the scan above would pass on a pattern that matches nothing: it finds what it must find
    assert BELOW_THE_MARTS.search("select * from raw.submission_manifest")
    assert BELOW_THE_MARTS.search("join reference.ref_key_area_communes as k")
    assert MARTS.findall("from marts.fct_media_outputs join marts.dim_sources") == [
        "fct_media_outputs",
        "dim_sources",
    ]


def _exposures() -> list[dict]:
    path = DBT_PROJECT_DIR / "models" / "_exposures.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["exposures"]


def test_each_exposure_lists_exactly_the_marts_its_modules_select_from():
    for exposure in _exposures():
        modules = exposure["meta"]["modules"]
        read = set()
        for module in modules:
            source = Path(importlib.import_module(module).__file__).read_text(encoding="utf-8")
            read |= set(MARTS.findall(source))
        declared = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}
        assert declared == read, exposure["name"]


def test_every_module_that_selects_from_the_marts_is_in_an_exposure():
    exposed = {module for exposure in _exposures() for module in exposure["meta"]["modules"]}
    readers = set()
    for package in ("outreach", "ingest", *STAGES, "dags"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            if MARTS.search(path.read_text(encoding="utf-8")):
                parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
                readers.add(".".join(parts))
    assert readers and readers <= exposed, sorted(readers - exposed)


def test_the_readme_describes_the_layers_the_contracts_enforce():
    import tomllib

    config = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["type"] == "layers"
    ]
    # the code's layers; a package's own (the portal's) are its contract's `containers`
    [layers] = [contract["layers"] for contract in contracts if "containers" not in contract]
    packages = {name.strip() for layer in layers for name in layer.split("|")}
    guide = (PROJECT_ROOT / "docs" / "engineers.md").read_text(encoding="utf-8")
    section = guide[guide.index("## The code's layers") :]
    section = section[: section.index("\n## ")]
    for package in packages:
        path = package.replace(".", "/")
        shown = f"`{path}.py`" if (PROJECT_ROOT / f"{path}.py").is_file() else f"`{path}/`"
        assert shown in section, package
    # and every package of the code is in a layer
    on_disk = {
        ".".join(path.parent.relative_to(PROJECT_ROOT).parts)
        for path in PROJECT_ROOT.glob("*/**/__init__.py")
        if not path.relative_to(PROJECT_ROOT).parts[0].startswith(".")
        and path.relative_to(PROJECT_ROOT).parts[0] not in ("tests", "dbt_project", "var")
    }
    inner = {
        f"{container}.{name.strip()}"
        for contract in contracts
        for container in contract.get("containers", [])
        for layer in contract["layers"]
        for name in layer.split("|")
    }
    layered = packages | inner | {"outreach.orchestration.airflow_config"}
    assert on_disk - {"outreach"} <= layered, sorted(on_disk - layered)
