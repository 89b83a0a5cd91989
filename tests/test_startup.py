"""`suara run` starts without the command-line tools' modules (and the workbook, PDF and
form libraries they load), while every other command line still sees every command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.__main__ import main

PROBE = """
import sys
from bot.__main__ import _parser
args = _parser(tools={tools}).parse_args({argv})
print(args.command, sorted(m for m in sys.modules if m.endswith("_cli") or m == "pyxform"))
"""


def _probe(tools: bool, argv: list[str]) -> str:
    code = PROBE.format(tools=tools, argv=argv)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_run_parses_without_the_tools() -> None:
    assert _probe(False, ["run"]) == "run []"
    assert _probe(False, ["run", "--webhook"]) == "run []"


def test_the_tools_are_parsed_for_any_other_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for command in ("run", "program", "questionnaire", "units", "digest", "report"):
        assert command in listed
    probed = _probe(True, ["migrate"])
    assert probed.startswith("migrate ") and "bot.program_cli" in probed
