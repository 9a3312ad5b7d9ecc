"""Every hint in an error, warning or note names something that exists.

The messages are collected from the source (``raise``, ``warnings.warn``, ``click.BadParameter``,
``click.UsageError`` and ``click.echo`` calls; f-string fields become ``X``). Each hint is then
run: a ``vaelab COMMAND ...`` hint is parsed by that command's own parser, a bare ``--flag``
must be an option of some command, and a ``section.key=value`` hint is applied as an override.
"""

import ast
import re
from pathlib import Path

import click
import pytest

import vaelab
from vaelab.cli import cli
from vaelab.config import build_config

SOURCE = Path(vaelab.__file__).parent
CALLS = {"warn", "BadParameter", "UsageError", "echo"}


def _text(node: ast.AST) -> str:
    parts = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.JoinedStr):
            parts.append("".join(v.value if isinstance(v, ast.Constant) else "X" for v in sub.values))
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and not _in_fstring(sub, node):
            parts.append(sub.value)
    return " ".join(parts)


def _in_fstring(const: ast.Constant, root: ast.AST) -> bool:
    return any(isinstance(n, ast.JoinedStr) and const in n.values for n in ast.walk(root))


def _messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(getattr(node, "func", None), "attr", getattr(getattr(node, "func", None), "id", None))
            if isinstance(node, ast.Raise) and node.exc is not None or isinstance(node, ast.Call) and name in CALLS:
                found.append((f"{path.relative_to(SOURCE)}:{node.lineno}", _text(node)))
    return found


def _commands() -> dict[tuple[str, ...], click.Command]:
    out = {}

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        out[path] = cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, path + (name,))

    walk(cli, ())
    return out


COMMANDS = _commands()
FLAGS = {opt for cmd in COMMANDS.values() for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
COMMAND_HINT = re.compile(r"(?<!a )vaelab((?: [a-z][a-z-]*)+)((?: (?:--?[a-z][a-z-]*|[A-Za-z0-9_./{}]+))*)")
FLAG_HINT = re.compile(r"(?<![\w-])--[a-z][a-z-]*")
OVERRIDE_HINT = re.compile(r"(?<![\w.])((?:data|train|model)\.[a-z_]+(?:\.[a-z_]+)?)=(\[[^\]]*\]|[^\s,;)]*)")

HINTS = [(where, text) for where, text in _messages()
         if COMMAND_HINT.search(text) or FLAG_HINT.search(text) or OVERRIDE_HINT.search(text)]


def test_the_scan_finds_the_hints():
    texts = " | ".join(t for _, t in HINTS)
    assert len(HINTS) >= 30
    for hint in ("vaelab train --out X --resume", "--data-root", "data.download=true", "train.lr="):
        assert hint in texts


def _command(words: list[str]) -> tuple[tuple[str, ...], list[str]]:
    path: tuple[str, ...] = ()
    while words and path + (words[0],) in COMMANDS:
        path, words = path + (words[0],), words[1:]
    return path, words


@pytest.mark.parametrize("where,text", HINTS, ids=[w for w, _ in HINTS])
def test_every_hint_runs(where, text):
    for match in COMMAND_HINT.finditer(text):
        words = (match.group(1) + match.group(2)).split()
        path, args = _command(words)
        assert path, f"{where}: `vaelab {' '.join(words)}` names no command"
        cmd = COMMANDS[path]
        if isinstance(cmd, click.Group) and not args:
            continue
        args = [a for a in args if not a.endswith((".", "`"))] if cmd.params else args
        try:
            cmd.make_context(" ".join(path), list(args), resilient_parsing=True)
        except click.UsageError as e:
            pytest.fail(f"{where}: the hint `vaelab {' '.join(words)}` does not parse: {e.format_message()}")
    for flag in FLAG_HINT.findall(text):
        assert flag in FLAGS, f"{where}: hint names {flag}, which no command has"
    overrides = [f"{key}={'1' if value in ('', '...', 'X') else value}"
                 for key, value in OVERRIDE_HINT.findall(text) if key != "model.name"]
    if overrides:  # the overrides of one message are meant together
        build_config(model="vae", dataset="digits", overrides=overrides)
