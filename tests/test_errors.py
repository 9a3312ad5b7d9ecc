"""The error boundary of the CLI: user errors, input-tagged errors, internal errors and warnings."""

import warnings

import click
import pytest

from vaelab.cli import cli, main
from vaelab.errors import MAX_SEED, ConfigError, VaelabWarning, check_seed, user_input


@pytest.fixture
def command():
    """Registers a throw-away command whose body the test chooses."""
    body = {}

    @cli.command("_probe")
    def probe():
        body["run"]()

    yield body
    del cli.commands["_probe"]


def run(capsys, body, fn):
    body["run"] = fn
    code = main(["_probe"])
    return code, *capsys.readouterr()


def test_an_unexpected_error_is_one_internal_error_line_with_exit_1(command, capsys, monkeypatch):
    monkeypatch.delenv("VAELAB_DEBUG", raising=False)
    code, _, err = run(capsys, command, lambda: 1 / 0)
    assert code == 1
    assert err.strip() == ("error: internal error ZeroDivisionError: division by zero; "
                           "rerun with VAELAB_DEBUG=1 for the traceback and report it")


def test_an_error_inside_user_input_names_the_input_with_exit_2(command, capsys, monkeypatch):
    monkeypatch.delenv("VAELAB_DEBUG", raising=False)

    def body():
        with user_input("config file c.yaml"):
            int("twelve")

    code, _, err = run(capsys, command, body)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("error: config file c.yaml: ValueError: invalid literal for int() with base 10: 'twelve'")
    assert "Traceback" not in err


def test_vaelab_debug_shows_the_traceback(command, capsys, monkeypatch):
    monkeypatch.setenv("VAELAB_DEBUG", "1")
    command["run"] = lambda: 1 / 0
    with pytest.raises(ZeroDivisionError):
        main(["_probe"])
    command["run"] = lambda: (_ for _ in ()).throw(ConfigError("bad value"))
    with pytest.raises(ConfigError):
        main(["_probe"])


def test_a_vaelab_warning_is_one_warning_line_and_others_stay_python_warnings(command, capsys, monkeypatch):
    def body():
        warnings.warn(VaelabWarning("num_samples=500 is more than the 297 held-out items"))
        warnings.warn("a library's own warning", UserWarning)

    with pytest.warns(UserWarning, match="a library's own warning") as record:
        code, _, err = run(capsys, command, body)
    assert code == 0
    assert err == "warning: num_samples=500 is more than the 297 held-out items\n"
    assert [type(w.message) for w in record] == [UserWarning]


def test_usage_errors_are_one_line_pointing_at_help(capsys):
    assert main(["sample"]) == 2
    assert capsys.readouterr().err == "error: Missing argument 'RUN_DIR'; see `vaelab sample --help`\n"


def test_seed_range():
    assert check_seed("seed", 0) == 0 and check_seed("seed", MAX_SEED) == MAX_SEED
    for bad in (-1, MAX_SEED + 1, 2**64, 1.5, True, "3"):
        with pytest.raises(ConfigError, match=r"need an integer in \[0, 4294967295\]"):
            check_seed("seed", bad)


def test_finite_float_option_refuses_nan_and_inf():
    from vaelab.cli.app import POSITIVE

    assert POSITIVE.convert("2.5", None, None) == 2.5
    for bad in ("nan", "inf", "-inf", "0", "-1"):
        with pytest.raises(click.BadParameter):
            POSITIVE.convert(bad, None, None)
