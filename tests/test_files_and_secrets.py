"""Files and secrets: every edition's outputs and releases are owner-only, and the
repository holds no secret or key (the observatory needs none)."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "assigned credential": re.compile(
        r"(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token)\b\s*[:=]\s*"
        r"['\"][^'\"\s]{8,}['\"]"
    ),
}


@pytest.mark.parametrize("audience", ["members", "secretariat", "public"])
def test_every_edition_and_its_releases_are_owner_only(audience_home, audience):
    paths = [
        p
        for root in (audience_home / "build" / audience, audience_home / "releases" / audience)
        for p in root.rglob("*")
    ]
    assert len([p for p in paths if p.is_file()]) > 400, "the edition and its release are there"
    loose = [p for p in paths if stat.S_IMODE(p.lstat().st_mode) & 0o077 and not p.is_symlink()]
    assert loose == [], f"readable by others: {loose[:5]}"


def test_the_repository_holds_no_secret():
    tracked = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    files = [PROJECT_ROOT / name for name in tracked if name and (PROJECT_ROOT / name).is_file()]
    assert len(files) > 100
    found = []
    for path in files:
        if path.stat().st_size > 5_000_000 or path == Path(__file__).resolve():
            continue
        text = path.read_bytes().decode("utf-8", "ignore")
        found += [
            (str(path.relative_to(PROJECT_ROOT)), kind)
            for kind, pattern in SECRET_PATTERNS.items()
            if pattern.search(text)
        ]
    assert found == [], f"possible secrets: {found}"


def test_the_secret_patterns_catch_what_they_are_for():
    samples = {
        "private key": "-----BEGIN OPENSSH PRIVATE KEY-----",
        "AWS access key": "AKIAABCDEFGHIJKLMNOP",
        "GitHub token": "ghp_" + "a1B2" * 9,
        "Slack token": "xoxb-1234567890-abcdef",
        "assigned credential": 'API_KEY = "s3cr3t-v4lue-123"',
    }
    for kind, sample in samples.items():
        assert SECRET_PATTERNS[kind].search(sample), kind
