"""The source catalogue: real entries load; invalid entries name the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sources.catalogue import CATALOGUE_DIR, CatalogueError, load_catalogue, load_entry, most_restrictive


def test_real_catalogue_loads_and_bundled_files_exist():
    catalogue = load_catalogue()
    assert {"ncmec_cybertipline_by_country", "un_sdg_global_database", "opensdg_jamaica"} <= set(catalogue)
    assert len(catalogue["ncmec_cybertipline_by_country"].bundled_paths()) == 5
    # 7 series files of the October 2020 release + 11 of the December 2023 release (same names supersede)
    assert len(catalogue["un_sdg_global_database"].bundled_paths()) == 7 + 11
    assert len(catalogue["opensdg_jamaica"].bundled_paths()) == 5
    for entry in catalogue.values():
        assert entry.bundled_paths(), f"{entry.id} lists bundled files that do not exist"


def _write_variant(tmp_path: Path, change) -> Path:
    data = yaml.safe_load((CATALOGUE_DIR / "opensdg_jamaica.yaml").read_text())
    change(data)
    path = tmp_path / "opensdg_jamaica.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    "change, field, words",
    [
        (lambda d: d.pop("licence"), "licence", "Field required"),
        (lambda d: d.update(sharing="PURPLE"), "sharing", "CLEAR"),
        (lambda d: d.update(publisher_type="blogger"), "publisher_type", "ngo"),
        (lambda d: d["title"].pop("pt"), "title.pt", "Field required"),
        (lambda d: d.update(parser="no_such_parser"), "parser", "no_such_parser"),
        (lambda d: d.update(measures=["NOT_A_MEASURE"]), "measures", "NOT_A_MEASURE"),
        (lambda d: d.update(id="other_id"), "id", "file name"),
        (lambda d: d.update(colour="blue"), "colour", "Extra inputs"),
    ],
)
def test_invalid_entry_names_file_and_field(tmp_path, change, field, words):
    path = _write_variant(tmp_path, change)
    with pytest.raises(CatalogueError) as info:
        load_entry(path)
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith("opensdg_jamaica.yaml: field '" + field + "'")
    assert words in message


def test_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: [unclosed\n")
    with pytest.raises(CatalogueError) as info:
        load_entry(path)
    assert "broken.yaml" in str(info.value) and "line" in str(info.value)


def test_adding_a_source_is_adding_a_file(tmp_path):
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, folder)
    data = yaml.safe_load((folder / "opensdg_jamaica.yaml").read_text())
    data["id"] = "opensdg_other_country"
    (folder / "opensdg_other_country.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "opensdg_other_country" in load_catalogue(folder)


def test_most_restrictive_sharing_level():
    assert most_restrictive(["CLEAR", "AMBER", "GREEN"]) == "AMBER"
    assert most_restrictive(["CLEAR"]) == "CLEAR"
    assert most_restrictive(["RED", "CLEAR"]) == "RED"
