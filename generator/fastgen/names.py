"""Rules about the names a user picks, checked before anything is generated."""

import re

# The seed article's debug rule, on words: "chat-dev" and "test_chat" mean debug, while
# "devices", "contest" or "latest-chat" merely contain the letters.
DEBUG_WORDS = frozenset({"dev", "test"})
_WORD_SEPARATORS = re.compile(r"[-_]")


def is_debug_name(service_name: str) -> bool:
    """Whether a service of this name runs in debug mode (``dev``/``test`` as a whole word).

    Words are the parts between dashes and underscores: ``chat-dev``, ``test-chat`` and
    ``my_dev_svc`` are debug names; ``devices``, ``attestation`` and ``latest-chat`` are not.
    """
    return not DEBUG_WORDS.isdisjoint(_WORD_SEPARATORS.split(service_name.lower()))
