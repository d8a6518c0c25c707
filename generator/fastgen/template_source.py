"""Where the Copier template lives: inside the installed package, or in a source checkout."""

from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
# Wheels carry the template here (see pyproject.toml's force-include).
PACKAGED_TEMPLATE = PACKAGE_DIR / "_template"
# Editable installs and source checkouts: the repository root, two levels up.
CHECKOUT_TEMPLATE = PACKAGE_DIR.parent.parent

COPIER_FILE = "copier.yml"


def bundled_template() -> Path:
    """The template that ships with this fastgen (a folder holding ``copier.yml``)."""
    for candidate in (PACKAGED_TEMPLATE, CHECKOUT_TEMPLATE):
        if (candidate / COPIER_FILE).is_file():
            return candidate
    raise FileNotFoundError(
        f"fastgen's template is missing: neither {PACKAGED_TEMPLATE} nor {CHECKOUT_TEMPLATE} "
        f"holds {COPIER_FILE}; reinstall fastgen"
    )


@cache
def template_questions(template: Path | None = None) -> dict[str, dict[str, Any]]:
    """The questions in a local template's ``copier.yml`` (its ``_`` settings left out)."""
    import yaml  # deferred: keeps `fastgen --help` fast

    root = template or bundled_template()
    with (root / COPIER_FILE).open(encoding="utf-8") as stream:
        config = yaml.safe_load(stream) or {}
    return {
        name: spec if isinstance(spec, dict) else {"default": spec}
        for name, spec in config.items()
        if not name.startswith("_")
    }
