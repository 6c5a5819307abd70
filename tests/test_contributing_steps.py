"""CONTRIBUTING.md's steps, followed literally: a new catalogue file becomes a source that
``clac sources`` lists and a staging asset with its blocking checks in the asset graph; a new
registry file becomes an indicator. No code changes in either case."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import yaml

from indicators.registry import REGISTRY_DIR, load_registry
from sources.catalogue import CATALOGUE_DIR
from tests.conftest import PROJECT_ROOT, clac_env, run_clac

NEW_SOURCE = "synthetic_contributing_example"

GRAPH = """
import json
from pipelines.definitions import defs
d = defs()
graph = d.resolve_asset_graph()
checks = [k.to_user_string() for k in graph.asset_check_keys]
print(json.dumps({"assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()), "checks": sorted(checks)}))
"""


def _new_catalogue_file(folder):
    # step 2: copy the closest existing entry and change its id, titles and description
    entry = yaml.safe_load((CATALOGUE_DIR / "synthetic_hotline_reports.yaml").read_text(encoding="utf-8"))
    entry["id"] = NEW_SOURCE
    entry["title"] = {lang: f"SYNTHETIC: contributing example ({lang})" for lang in ("es", "en", "pt")}
    entry["description"] = {lang: "SYNTHETIC: a copy made by the contributing test" for lang in ("es", "en", "pt")}
    folder.mkdir()
    (folder / f"{NEW_SOURCE}.yaml").write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    return folder


def test_a_new_catalogue_file_is_listed_and_becomes_a_staging_asset(tmp_path):
    private = _new_catalogue_file(tmp_path / "catalogue")
    home = tmp_path / "home"
    home.mkdir()
    listed = run_clac(home, "sources", env={"CLAC_PRIVATE_CATALOGUE": str(private)})
    assert NEW_SOURCE in listed.stdout
    env = clac_env(home) | {"CLAC_PRIVATE_CATALOGUE": str(private)}
    result = subprocess.run(
        [sys.executable, "-c", GRAPH], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    graph = json.loads(result.stdout.strip().splitlines()[-1])
    assert f"staging/{NEW_SOURCE}" in graph["assets"]
    assert any(check.startswith(f"staging/{NEW_SOURCE}:") for check in graph["checks"]), graph["checks"]
    # and without the file, neither exists (the asset comes from the file, not from code)
    assert NEW_SOURCE not in run_clac(home, "sources").stdout


def test_a_new_registry_file_becomes_an_indicator(tmp_path):
    folder = tmp_path / "registry"
    shutil.copytree(REGISTRY_DIR, folder)
    entry = yaml.safe_load((REGISTRY_DIR / "awareness_campaigns.yaml").read_text(encoding="utf-8"))
    entry["id"] = "contributing_example"
    (folder / "contributing_example.yaml").write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    registry = load_registry(folder)
    assert "contributing_example" in registry
    assert set(registry) - {"contributing_example"} == set(load_registry())
