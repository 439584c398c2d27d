"""The documentation: the README as a front page, one guide per audience under docs/, a CLI
reference generated from the commands' help, and nothing named that does not exist.

Each page is read as its reader reads it: a backticked path, an `outreach` command, a `make`
target or a `schema.table` name in README.md or docs/**/*.md must be one the project has, and
the site `make docs` builds must load nothing from the network."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path

import click
import pytest

from outreach.cli import main
from outreach.core.home import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"
DOCS = PROJECT_ROOT / "docs"
PAGES = [README, *sorted(DOCS.rglob("*.md"))]
# the guides the README sends each audience to, in its order
GUIDES = [
    "docs/huong-dan-so.md",
    "docs/huong-dan-don-vi.md",
    "docs/analysts.md",
    "docs/data-engineers.md",
    "docs/operators.md",
    "docs/engineers.md",
]
# what a build, a run or a tool writes, named by the docs but never committed
GENERATED = (".venv/", ".tools/", "site/", "dbt_project/target/", "dbt_project/logs/", "target/")
# the home folder's layout (docs/how-it-works.md, "The home folder"), under var/ or
# $OUTREACH_HOME/, and what the commands of the guides write there
HOME_LAYOUT = {
    "inbox",
    "archive",
    "quarantine",
    "warehouse",
    "reports",
    "gx",
    "airflow",
    "logs",
    "pull",
    "narratives",
    "report.toml",
    "report-<code>.toml",
    "report*.toml",
    "registry",
    "dbt",
    "portal",
    "approvals",
    "templates",
    "ingest",
    "drop",
    "published",
    "sites",
    "national",
    ".lich-su",
}
CODE_SUFFIXES = (".py", ".sql", ".yml", ".yaml", ".md", ".csv", ".toml", ".conf", ".cfg")


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _spans(text: str) -> list[str]:
    """Backticked spans, and the lines of code blocks (indented or fenced)."""
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        spans += block.splitlines()
    spans += [line[4:] for line in text.splitlines() if line.startswith("    ") and line.strip()]
    return spans


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_is_a_front_page():
    """What it is, a picture, the two commands, then one link per audience: read in two
    minutes."""
    readme = _text(README)
    assert len(readme.split()) < 600, len(readme.split())
    assert re.search(r'<img src="docs/[^"]+\.png"', readme)
    where = readme.index("## Where to read on")
    assert readme.index("\n    make run\n") < readme.index("\n    make test\n") < where
    links = re.findall(r"\]\((docs/[^)#]+)\)", readme[where:].split("\n\n", 2)[1])
    assert links == GUIDES
    for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        assert (PROJECT_ROOT / link).is_file(), link


def test_the_site_home_sends_each_audience_to_the_same_guide():
    home = _text(DOCS / "index.md")
    for guide in GUIDES:
        assert f"]({guide.removeprefix('docs/')})" in home, guide


def test_the_cli_reference_is_generated_from_the_commands_and_up_to_date():
    reference = _load_script("cli_reference")
    assert reference.TARGET.read_text(encoding="utf-8") == reference.render(), (
        "docs/reference/cli.md is stale: make docs-cli"
    )


def test_every_command_is_documented_with_an_example():
    reference = _text(DOCS / "reference" / "cli.md")
    for name, command in main.commands.items():
        assert f"## outreach {name}\n" in reference, name
        assert "Example: outreach " in (command.help or ""), name
        # an example with an option; a group's, with one of its subcommands
        if isinstance(command, click.Group):
            assert re.search(
                rf"Example: outreach {name} ({'|'.join(command.commands)}) ", reference
            )
        else:
            assert f"outreach {name} --" in reference, name


@cache
def _tracked() -> list[str]:
    """The repository's files: committed, or new and not ignored."""
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


def _path_exists(path: str) -> bool:
    """A path as the docs name it: from the repository's root, from dbt_project/ or its models/
    (as the data engineers' guide names models), inside a package (`routes/` of the portal),
    under the home folder's layout, or written by a build or a tool."""
    if path.startswith(GENERATED):
        return True
    if path.rstrip("/") in ("var", "./var", "../var", "$OUTREACH_HOME"):  # the home itself
        return True
    for home in ("var/", "$OUTREACH_HOME/", "../var/", ""):
        # a home folder's own (`inbox/`), unless the repository has a folder of that name
        if (
            path.startswith(home)
            and path.removeprefix(home).split("/")[0] in HOME_LAYOUT
            and (home or not (PROJECT_ROOT / path.split("/")[0]).exists())
        ):
            return True
    stripped = re.split(r"[<*{]", path)[0].rstrip("/")
    for base in ("", "dbt_project/", "dbt_project/models/"):
        if (PROJECT_ROOT / (base + stripped)).exists():
            return True
    return any(
        f"/{name}".endswith(f"/{stripped}") or f"/{stripped}/" in f"/{name}" for name in _tracked()
    )


def _paths_named(text: str) -> set[str]:
    named = set()
    for span in _spans(text):
        for word in span.split():
            word = word.strip("(),;:'\"").rstrip(".")
            if (
                "/" in word
                and not word.startswith(("/", "http", "~", "-", "<", "sftp:", "file:", "ftp:"))
                and "://" not in word
                and re.fullmatch(r"[\w.$<>*{}\-/]+", word)
                and not re.fullmatch(r"[\d/.-]+|[dmy/]+", word)  # a date, or its format
                and not re.search(r"\.\.\.|…", word)
            ):
                named.add(word)
    return named


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_the_paths_the_docs_name_exist(page):
    missing = sorted(path for path in _paths_named(_text(page)) if not _path_exists(path))
    assert not missing, missing


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_the_code_files_named_alone_exist(page):
    """A file named without its folder (`pull.py`, `builds.sql`) is one of the repository's."""
    basenames = {name.rsplit("/", 1)[-1] for name in _tracked()}
    named = {
        word
        for span in _spans(_text(page))
        # a redirection's output (`> airflow.sql`) and a method (`con.sql(...)`) are not files
        for word in re.findall(
            r"(?<![\w/.-])([\w-]+\.(?:py|sql|yml))\b(?!\()", re.sub(r">\s*\S+", "", span)
        )
    }
    assert not sorted(named - basenames)


def _commands_named(text: str) -> set[tuple[str, ...]]:
    """Every `outreach ...` in code: the command's words, options and placeholders left out."""
    named = set()
    for span in _spans(text):
        for match in re.finditer(r"(?:^|[\s/(`])outreach((?: +[^\s`;|)]+)+)", span):
            words = []
            for word in match.group(1).split():
                if word.startswith("-"):
                    if words:
                        break
                    continue
                if words == [] and "/" in word:  # `outreach --home var/national sample`
                    continue
                if not re.fullmatch(r"[a-z][a-z-]*(\|[a-z-]+)*", word):
                    break
                words.append(word)
                if len(words) == 2:
                    break
            if words:
                named.add(tuple(words))
    return named


@pytest.mark.parametrize(
    "page",
    [page for page in PAGES if page.name != "cli.md"],  # generated from the commands themselves
    ids=lambda page: str(page.relative_to(PROJECT_ROOT)),
)
def test_the_outreach_commands_the_docs_name_exist(page):
    wrong = []
    for words in _commands_named(_text(page)):
        for name in words[0].split("|"):
            command = main.commands.get(name)
            subcommand = words[1] if len(words) > 1 else None
            if command is None or (
                isinstance(command, click.Group) and subcommand not in (None, *command.commands)
            ):
                wrong.append(" ".join(words))
    assert not wrong, wrong


@cache
def _make_targets() -> set[str]:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_the_make_targets_the_docs_name_exist(page):
    named = {
        match
        for span in _spans(_text(page))
        for match in re.findall(r"(?:^|[\s(`])make ([a-z][a-z-]*)", span)
    }
    assert not sorted(named - _make_targets())


@cache
def _tables() -> dict[str, set[str]]:
    """Every table a page may name, by schema: the dbt models (by folder), the seeds, ingest's
    raw tables, the checks' dq tables and dbt's meta.builds."""
    models = PROJECT_ROOT / "dbt_project" / "models"
    stems = lambda folder: {path.stem for path in (models / folder).rglob("*.sql")}  # noqa: E731
    created = {}
    for source in (
        "ingest/warehouse.py",
        "expectations/checks.py",
        "dbt_project/macros/builds.sql",
    ):
        text = (PROJECT_ROOT / source).read_text(encoding="utf-8")
        for schema, table in re.findall(r"create table if not exists (\w+)\.(\w+)", text):
            created.setdefault(schema, set()).add(table)
    seeds = {
        path.stem
        for folder in ("seeds", "calendar")
        for path in (PROJECT_ROOT / "dbt_project" / folder).glob("*.csv")
    }
    return {
        "marts": stems("marts") | stems("reports"),
        "staging": stems("staging"),
        "intermediate": stems("intermediate"),
        "reference": seeds,
        **created,
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_the_tables_the_docs_name_exist(page):
    tables = _tables()
    assert {"raw", "dq", "meta"} <= set(tables)
    named = re.findall(
        r"\b(marts|raw|dq|meta|reference|staging|intermediate)\.([a-z_]+)\b", _text(page)
    )
    assert not sorted(f"{schema}.{table}" for schema, table in named if table not in tables[schema])
    # a model named alone (fct_…, dim_…, rpt_…, int_…, stg_…) is one of the project's
    models = set().union(*tables.values())
    alone = set(re.findall(r"`((?:fct|dim|rpt|int|stg)_[a-z_]+)`", _text(page)))
    assert not sorted(alone - models)


@cache
def _portal_routes() -> set[str]:
    routes = set()
    for module in (PROJECT_ROOT / "outreach" / "portal" / "routes").glob("*.py"):
        text = module.read_text(encoding="utf-8")
        prefixes = re.findall(r'APIRouter\(prefix="([^"]*)"', text) or [""]
        for path in re.findall(r'\.(?:get|post)\(\s*"([^"]*)"', text):
            routes |= {prefix + path for prefix in prefixes}
    pages = (PROJECT_ROOT / "outreach" / "portal" / "pages.py").read_text(encoding="utf-8")
    routes |= set(re.findall(r'_PATH = "(/[^"]*)"', pages))
    return routes


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(PROJECT_ROOT)))
def test_the_portal_pages_the_docs_name_exist(page):
    named = set(re.findall(r"`(/(?:so|don-vi|quan-tri|dang-nhap|thiet-lap)[^`]*)`", _text(page)))
    assert not sorted(named - _portal_routes())


def test_the_vietnamese_is_composed():
    for page in PAGES:
        text = _text(page)
        assert unicodedata.normalize("NFC", text) == text, page


def test_the_data_engineers_dbt_block_is_the_one_the_readme_test_runs():
    """tests/test_readme.py runs the block under "## dbt alone" as written."""
    guide = _text(DOCS / "data-engineers.md")
    assert "\n## dbt alone\n\n    cd dbt_project\n" in guide


def test_the_site_builds_offline(tmp_path):
    """`make docs`: every page builds (links and anchors between pages checked), and no page
    loads a script or a stylesheet from the network: the site opens on a machine without
    internet."""
    site = tmp_path / "site"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("mkdocs")), "build", "--strict", "-d", str(site)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pages = list(site.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    external = re.compile(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?(?:https?:)?//", re.I
    )
    for html in pages:
        text = html.read_text(encoding="utf-8")
        assert not external.findall(text), (html, external.findall(text))
    assert (site / "huong-dan-so.html").is_file()
    assert (site / "reference" / "cli.html").is_file()
