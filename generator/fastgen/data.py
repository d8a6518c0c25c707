"""``--data KEY=VALUE`` parsing, checked against the template's questions."""

from collections.abc import Iterable, Mapping
from typing import Any

from .errors import UsageError


def parse_data(pairs: Iterable[str], questions: Mapping[str, Any] | None) -> dict[str, str]:
    """Turn ``KEY=VALUE`` strings into answers; unknown keys are refused when questions are known.

    Args:
        pairs: the raw ``--data`` values, in command-line order (later ones win).
        questions: the template's questions, or None when they cannot be read (remote source).
    """
    answers: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--data takes KEY=VALUE, got {pair!r}")
        if questions is not None and key not in questions:
            valid = ", ".join(sorted(questions))
            raise UsageError(f"unknown --data key {key!r}; valid keys: {valid}")
        answers[key] = value
    return answers
