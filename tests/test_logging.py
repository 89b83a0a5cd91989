"""The log keeps a failure's type and frames, never the words inside its message."""

from __future__ import annotations

import logging

import pytest

from bot.logging_setup import setup_logging

SECRET = "Nomor KTP saya 1871026503890001, rumah di Jalan Melati 7"


def _fail_like_a_library(text: str) -> None:
    try:
        int(text)
    except ValueError as exc:
        # A library that puts its input into its error, as openpyxl does with a cell's text.
        raise RuntimeError(f"cannot store {text!r}") from exc


def test_exception_messages_are_withheld_from_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    setup_logging("DEBUG", None)
    try:
        _fail_like_a_library(SECRET)
    except RuntimeError:
        logging.getLogger("bot.test").exception("handler failed on update %s", 42)
    finally:
        root.handlers[:], root.level = handlers, level
    logged = capsys.readouterr().err
    assert "handler failed on update 42" in logged
    assert "RuntimeError: (message withheld)" in logged
    assert "ValueError: (message withheld)" in logged and "direct cause" in logged
    assert "_fail_like_a_library" in logged  # the frames stay
    assert "1871026503890001" not in logged and "Melati" not in logged
