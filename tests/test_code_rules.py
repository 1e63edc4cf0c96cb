"""Rules about the code itself that a reviewer would otherwise have to remember (README, "Layout")."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from streams.facts import COLUMNS
from streams.models import Event

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("notifications", "streams", "project")


def source_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_import_hides_in_a_function_without_a_comment_saying_why():
    unexplained = []
    for path in source_files():
        lines = path.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    here, before = lines[inner.lineno - 1], lines[inner.lineno - 2]
                    if "#" not in here and not before.strip().startswith("#"):
                        unexplained.append(f"{path.relative_to(ROOT)}:{inner.lineno}: {here.strip()}")
    assert unexplained == [], "move these to the top, or say in a comment why they cannot be there"


CITES_OUTSIDE = re.compile(r"DESIGN\.md|STYLE\.md|\.\./shared|\bissue (?:#|\d)|\(issue\b")


def test_comments_cite_only_what_a_reader_of_the_repository_can_open():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in source_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CITES_OUTSIDE.search(line)
    ]
    assert found == []


def test_the_import_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([lint_imports, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_event_model_has_exactly_the_columns_the_store_writes_and_its_own_three():
    model = {f.column for f in Event._meta.concrete_fields}
    # The key, and the marks of the fan-out and of a gap check (streams.heal).
    assert model - set(COLUMNS) == {"id", "fanned_out_at", "gap_id"}
    assert set(COLUMNS) <= model
