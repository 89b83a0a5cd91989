"""A production install carries no development tools: they are in the [dev] extra only, and
the image installs without extras."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_TOOLS = {
    "pytest",
    "pytest-asyncio",
    "ruff",
    "mypy",
    "hypothesis",
    "zxing-cpp",
    "pillow",
    "pypdfium2",
    "playwright",
}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", line, maxsplit=1)[0].lower() for line in requirements}


def test_development_tools_are_only_in_the_dev_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert not _names(project["dependencies"]) & DEV_TOOLS
    assert _names(project["optional-dependencies"]["dev"]) >= {"pytest", "ruff", "mypy"}


def test_the_image_and_the_production_install_take_no_extras() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    installs = re.findall(r"pip install ([^\n&\\]+)", dockerfile)
    assert installs and all("[" not in line for line in installs), installs
    makefile = (ROOT / "Makefile").read_text("utf-8")
    install = makefile.split("\ninstall:", 1)[1].split("\n\n", 1)[0]
    assert "pip install --quiet -e .\n" in install + "\n" and "[dev]" not in install
