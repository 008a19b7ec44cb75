"""The project as it ships: the wheel carries the grammar, and imports go one way.

No test reaches the network: the wheel is built with the build backend installed
in this environment, and the fresh environment borrows the runtime dependencies
already installed here (but not this project).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("grammar", "procedures", "book")


def _requirement_names(distribution: str) -> list[str]:
    names = []
    for requirement in metadata.requires(distribution) or []:
        if "extra ==" in requirement:
            continue
        match = re.match(r"[A-Za-z0-9_.-]+", requirement)
        if match:
            names.append(match.group())
    return names


def _runtime_paths() -> set[Path]:
    """The top-level modules of every runtime dependency of this project, transitively."""
    seen: set[str] = set()
    paths: set[Path] = set()
    pending = _requirement_names("sms-book")
    while pending:
        name = pending.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform
        pending += _requirement_names(name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".data")) or top == "..":
                continue
            path = Path(str(distribution.locate_file(top)))
            if path.exists():
                paths.add(path)
    return paths


@pytest.mark.slow
def test_wheel_parses_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            dist,
            ROOT,
        ],
        check=True,
    )
    (wheel,) = dist.glob("sms_book-*.whl")

    environment = tmp_path / "fresh"
    venv.create(environment, with_pip=False)
    python = environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", wheel],
        check=True,
    )
    # The dependencies, but not this project, from the current environment.
    borrowed = tmp_path / "borrowed"
    borrowed.mkdir()
    for path in _runtime_paths():
        (borrowed / path.name).symlink_to(path)
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "borrowed.pth").write_text(str(borrowed) + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import grammar\n"
        "tree = grammar.parse_script('read some SMS messages whose body contains \"refund\"')\n"
        "print(grammar.__file__)\n"
        "print(tree)\n"
        "import procedures\n"
        "print(procedures.STEP_SCHEMA['title'])\n"  # the step schema ships in the wheel
        "try:\n"
        "    grammar.parse_script('how many SMS messages')\n"
        "except grammar.BookError as error:\n"
        "    print(error.hint.split(':')[0])\n"  # and the phrasing table
    )
    clean = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    result = subprocess.run(
        [python, "-I", "-c", script], cwd=elsewhere, capture_output=True, text=True, env=clean, check=True
    )
    location, rendered, schema, phrasing = result.stdout.splitlines()
    assert phrasing == "To count, write"
    assert Path(location).is_relative_to(Path(purelib))
    assert rendered == 'read some SMS messages whose body contains "refund"'
    assert schema == "What Session.step returns"


def _imports(package: str) -> set[str]:
    """The top-level names every module of ``package`` imports."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_imports_go_one_way() -> None:
    """book -> procedures -> grammar, never back."""
    assert not _imports("grammar") & {"procedures", "book"}
    assert "book" not in _imports("procedures")


def test_grammar_ships_its_data_files() -> None:
    assert (ROOT / "grammar" / "english.lark").is_file()
    assert (ROOT / "grammar" / "mistakes.tsv").is_file()
    assert (ROOT / "grammar" / "phrasings.tsv").is_file()
