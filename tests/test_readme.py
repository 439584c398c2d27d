"""The README documents every CLI command with an example, in the order the issue asks."""

from __future__ import annotations

from outreach.cli import main
from outreach.home import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented_with_an_example():
    for name, command in main.commands.items():
        assert f"`outreach {name}`" in README, name
        assert f"outreach {name} --" in README, name
        assert "Example: outreach " in (command.help or ""), name


def test_the_two_commands_come_first_and_the_sections_in_order():
    assert README.index("    make run") < README.index("## What it does")
    assert README.index("    make test") < README.index("## What it does")
    order = ["## What it does", "## The CLI", "## The submission contract", "### Tiếng Việt",
             "### English", "## For analysts", "## For data engineers",
             "## How the DAG is scheduled"]
    positions = [README.index(heading) for heading in order]
    assert positions == sorted(positions)
