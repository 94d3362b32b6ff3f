"""Tests for checker.schema (JSON Schema, init template) and the CLI commands schema, init, validate."""

from __future__ import annotations

import json
import re
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from checker.cli import COMMANDS, build_parser, main
from checker.loader import load_agreement
from checker.model import Agreement
from checker.schema import SCHEMA_FILE, SCHEMA_ID, init_template, json_schema

DATA = Path(__file__).parent / "data" / "loader"
FULL_EXAMPLE = DATA / "full_example.yaml"


def as_json_data(raw: Any) -> Any:
    """Loaded YAML data as JSON would carry it (dates as ISO strings)."""
    return json.loads(json.dumps(raw, default=lambda value: value.isoformat()))


def schema_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema(), format_checker=jsonschema.FormatChecker())


# --------------------------------------------------------------------------- model introspection (independent)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The core type inside Optional/Annotated/list and whether it was a list."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is Union:
            # Optional[X], and X | Literal["fehlt"] for a fact the draft may be silent on
            (annotation,) = [arg for arg in typing.get_args(annotation)
                             if arg is not type(None) and typing.get_origin(arg) is not Literal]
        elif origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is list:
            is_list, annotation = True, typing.get_args(annotation)[0]
        else:
            return annotation, is_list


def model_paths(model: type[BaseModel], prefix: tuple = ()) -> set[tuple]:
    """Every field path of the model; list items appear once, as index 0."""
    paths = set()
    for name, field in model.model_fields.items():
        path = prefix + (name,)
        paths.add(path)
        inner, is_list = _unwrap(field.annotation)
        if is_list:
            path += (0,)
            paths.add(path)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths |= model_paths(inner, path)
    return paths


def model_enums(model: type[BaseModel]) -> set[type[Enum]]:
    enums = set()
    for field in model.model_fields.values():
        inner, _ = _unwrap(field.annotation)
        if isinstance(inner, type) and issubclass(inner, Enum):
            enums.add(inner)
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            enums |= model_enums(inner)
    return enums


def data_paths(data: Any, prefix: tuple = ()) -> set[tuple]:
    paths = set()
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        paths.add(prefix + (key,))
        paths |= data_paths(value, prefix + (key,))
    return paths


def uncomment_all(template: str) -> str:
    """Activate every commented-out field line of the template (header comments stay)."""
    return re.sub(r"(?m)^(\s*)# (?=- |-$|\s*[a-z_0-9]+:)", r"\1", template)


# --------------------------------------------------------------------------- schema


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert "budgetcheck" in schema["title"]
    assert schema["required"] == ["meta"]


def test_schema_carries_the_german_descriptions():
    schema = json_schema()
    assert schema["properties"]["meta"]["description"] == "Stammdaten der Vereinbarung"
    budget = schema["$defs"]["Budget"]["properties"]
    assert budget["amount_per_year"]["description"] == "Budget pro Jahr in EUR"
    assert schema["$defs"]["ClauseStatus"]["enum"] == ["vereinbart", "ausgeschlossen", "fehlt", "unbekannt"]


def test_schema_validates_the_full_example_and_rejects_errors():
    raw = as_json_data(load_agreement(FULL_EXAMPLE).raw)
    validator = schema_validator()
    validator.validate(raw)
    raw["budget"]["amount_per_year"] = -1
    raw["meta"]["status"] = "fertig"
    assert len(list(validator.iter_errors(raw))) == 2


# --------------------------------------------------------------------------- template


def test_template_first_line_points_to_the_schema_file():
    assert init_template().splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_FILE}"
    assert SCHEMA_FILE == "budgetcheck-schema.json"


@pytest.mark.parametrize("lang", ["de", "en"])
def test_template_loads_without_error(tmp_path, lang):
    path = tmp_path / "vereinbarung.yaml"
    path.write_text(init_template(lang), encoding="utf-8")
    loaded = load_agreement(path)
    assert set(loaded.raw) == {"format_version", "meta"}
    assert set(loaded.raw["meta"]) == {"title"}
    assert loaded.agreement.meta.title
    assert loaded.agreement.budget is None  # everything else is "not stated"
    schema_validator().validate(as_json_data(loaded.raw))


def test_template_lists_every_field_of_the_model():
    uncommented = yaml.safe_load(uncomment_all(init_template()))
    assert data_paths(uncommented) == model_paths(Agreement)


def test_template_names_every_allowed_enum_value_and_every_description():
    template = init_template()
    for enum in model_enums(Agreement):
        values = " | ".join(member.value for member in enum)
        assert values in template, enum
    for field in Agreement.model_fields["budget"].annotation.__args__[0].model_fields.values():
        assert field.description in template


def test_template_comments_explain_types():
    lines = {line.strip().split(":")[0].lstrip("# -"): line for line in init_template().splitlines()}
    assert "Datum JJJJ-MM-TT" in lines["draft_date"]
    assert "true/false" in lines["shiftable"]
    assert "Zahl 0–100" in lines["share_percent"]
    assert "Pflichtangabe" in lines["title"]
    assert "# status: unbekannt" in init_template()


def test_english_template_has_an_english_header():
    template = init_template("en")
    assert "Template for a budget agreement" in template
    assert "values: geplant | entwurf | unterzeichnet | beendet" in template
    assert "# amount_per_year:  # Budget per year in EUR; number" in template  # comments in English
    assert "Budget pro Jahr" not in template


def test_filled_template_validates(tmp_path):
    filled = init_template().replace(
        "  # status:  # geplant, Entwurf, unterzeichnet oder beendet",
        "  status: entwurf  # geplant, Entwurf, unterzeichnet oder beendet",
    )
    filled += "budget:\n  amount_per_year: 125000.5\n"
    path = tmp_path / "filled.yaml"
    path.write_text(filled, encoding="utf-8")
    loaded = load_agreement(path)
    assert loaded.agreement.meta.status.value == "entwurf"
    assert loaded.agreement.budget.amount_per_year == 125000.5
    schema_validator().validate(as_json_data(loaded.raw))


def test_full_example_loads_as_yaml_and_as_json(tmp_path):
    loaded = load_agreement(FULL_EXAMPLE)
    json_path = tmp_path / "full_example.json"
    json_path.write_text(json.dumps(as_json_data(loaded.raw), ensure_ascii=False, indent=2), encoding="utf-8")
    assert load_agreement(json_path).agreement == loaded.agreement
    assert loaded.agreement.clauses.schiedsstelle.status.value == "ausgeschlossen"
    assert loaded.agreement.clauses.training.status.value == "unbekannt"


# --------------------------------------------------------------------------- CLI


def test_cli_structure():
    assert set(COMMANDS) >= {"schema", "init", "validate"}
    assert build_parser().parse_args(["validate", "a.yaml"]).lang == "de"
    assert build_parser().parse_args(["validate", "a.yaml", "--lang", "en"]).lang == "en"
    assert build_parser().parse_args(["--lang", "en", "schema"]).lang == "en"


def test_cli_schema_prints_sorted_json_schema(capsys):
    assert main(["schema"]) == 0
    out, err = capsys.readouterr()
    schema = json.loads(out)
    assert err == ""
    assert out == json.dumps(schema, indent=2, sort_keys=True) + "\n"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json_schema()


def test_cli_schema_validates_the_template_data(capsys, tmp_path):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    path = tmp_path / "t.yaml"
    path.write_text(init_template(), encoding="utf-8")
    jsonschema.Draft202012Validator(schema).validate(as_json_data(load_agreement(path).raw))


def test_cli_init_to_stdout_round_trips(capsys, tmp_path):
    assert main(["init"]) == 0
    out, err = capsys.readouterr()
    assert out == init_template() and err == ""
    path = tmp_path / "t.yaml"
    path.write_text(out, encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok\n"


def test_cli_init_writes_a_file_and_refuses_to_overwrite(capsys, tmp_path):
    path = tmp_path / "neu.yaml"
    assert main(["init", "-o", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == init_template()
    capsys.readouterr()

    path.write_text("meine Daten\n", encoding="utf-8")
    assert main(["init", "-o", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "existiert bereits" in err and "--force" in err
    assert path.read_text(encoding="utf-8") == "meine Daten\n"

    assert main(["--lang", "en", "init", "-o", str(path)]) == 2
    assert "exists already" in capsys.readouterr().err

    assert main(["init", "--force", "-o", str(path), "--lang", "en"]) == 0
    assert path.read_text(encoding="utf-8") == init_template("en")


def test_cli_validate_bad_file(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("meta:\n  title: x\nbudget:\n  amount_per_year: -5\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"{path}:4:3: budget.amount_per_year: darf nicht negativ sein, gefunden: -5\n"

    assert main(["--lang", "en", "validate", str(path)]) == 2
    assert capsys.readouterr().err == f"{path}:4:3: budget.amount_per_year: must not be negative, found: -5\n"


def test_cli_validate_several_files(capsys, tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.json"
    good.write_text("meta:\n  title: x\n", encoding="utf-8")
    bad.write_text('{"meta": {"titel": "x"}}', encoding="utf-8")
    assert main(["validate", str(good), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == f"{good}: ok\n"
    assert f"{bad}:1:11: meta.titel: unbekannter Schlüssel 'titel' (meinten Sie 'title'?)" in err
    assert f"{bad}:1:2: meta.title: Pflichtangabe fehlt" in err


def test_cli_validate_missing_file(capsys, tmp_path):
    assert main(["validate", str(tmp_path / "fehlt.yaml")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'fehlt.yaml'}: Datei nicht gefunden\n"


@pytest.mark.parametrize("argv", [[], ["unbekannt"], ["validate"], ["--lang", "fr", "schema"], ["init", "--bad"]])
def test_cli_usage_errors_return_2(capsys, argv):
    assert main(argv) == 2
    assert "Aufruf: budgetcheck" in capsys.readouterr().err  # German unless --lang en
