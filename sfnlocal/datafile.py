"""Reading the YAML/JSON files users hand to sfnlocal (config and mock files), with located errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "read_document"]

_YAML_SUFFIXES = (".yaml", ".yml")


class ConfigError(ValueError):
    """A config or mock file that cannot be used.

    Attributes:
        detail: what is wrong, without the location.
        pointer: the JSON pointer of the offending value (``""``: the whole document).
        source: the file it came from (None for data given in code).
    """

    def __init__(self, detail: str, pointer: str = "", source: str | None = None) -> None:
        self.detail = detail
        self.pointer = pointer
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{pointer or '/'}: {detail}")


def read_document(
    path: str | os.PathLike[str], *, default: str = "YAML", error: type[ConfigError] = ConfigError
) -> Any:
    """The data of a ``.json`` (JSON) or ``.yaml``/``.yml`` (YAML) file; other suffixes: ``default``.

    Raises:
        ConfigError (of type ``error``): the file cannot be read or is not valid JSON/YAML.
    """
    file = Path(path)
    source = str(file)
    kind = "JSON" if file.suffix == ".json" else "YAML" if file.suffix in _YAML_SUFFIXES else default
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"cannot read the file: {exc.strerror or exc}", "", source) from None
    if kind == "JSON":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise error(f"not valid JSON: {exc}", "", source) from None
    import yaml  # on first use: PyYAML costs start-up time

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise error(f"not valid {kind}: {exc}", "", source) from None
