import json
from pathlib import Path

import pytest

from sfnlocal.asl import load
from sfnlocal.asl.diagnostics import INVALID_JSON_DESCRIPTION
from sfnlocal.errors import InvalidDefinition

DEFN = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}


def test_load_dict_returns_a_copy():
    loaded = load(DEFN)
    assert loaded == DEFN
    assert loaded is not DEFN


def test_load_json_text():
    assert load(json.dumps(DEFN)) == DEFN


@pytest.mark.parametrize("name", ["machine.json", "machine.asl.json"])
def test_load_json_file(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text(json.dumps(DEFN))
    assert load(path) == DEFN
    assert load(str(path)) == DEFN


@pytest.mark.parametrize("name", ["machine.yaml", "machine.asl.yaml", "machine.yml"])
def test_load_yaml_file(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_text("StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n")
    assert load(path) == DEFN


def test_bad_json_text_is_invalid_json_description_with_line_and_column():
    text = '{\n  "StartAt": "A",\n  "States": {,}\n}'
    with pytest.raises(InvalidDefinition) as info:
        load(text)
    (diag,) = info.value.diagnostics
    assert diag.code == INVALID_JSON_DESCRIPTION
    assert diag.location is None
    assert "line: 3, column: 14" in diag.message
    assert "was expecting double-quote to start field name" in diag.message
    assert info.value.message.startswith(
        "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: "
    )


def test_truncated_json_reports_end_of_input():
    with pytest.raises(InvalidDefinition) as info:
        load('{"StartAt": "A"')
    assert "Unexpected end-of-input" in info.value.diagnostics[0].message


def test_non_json_text_is_invalid_json_not_a_missing_file():
    with pytest.raises(InvalidDefinition) as info:
        load("StartAt = A")
    assert info.value.diagnostics[0].code == INVALID_JSON_DESCRIPTION


def test_bad_json_file(tmp_path: Path):
    path = tmp_path / "bad.asl.json"
    path.write_text('{"StartAt": "A" "States": {}}')
    with pytest.raises(InvalidDefinition) as info:
        load(path)
    message = info.value.diagnostics[0].message
    assert "was expecting comma to separate entries" in message
    assert "line: 1, column: 17" in message


def test_bad_yaml_file_names_line(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("StartAt: A\nStates: [\n")
    with pytest.raises(InvalidDefinition) as info:
        load(path)
    assert info.value.diagnostics[0].code == INVALID_JSON_DESCRIPTION
    assert "line" in info.value.diagnostics[0].message


def test_missing_file_raises_file_not_found(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.asl.json")
