# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Application status codes carried in error frames: ``{"status": <code>, "message": ...}``.

4xxxx: the client's fault, the session goes on, except after the refusals that end it.
5xxxx: the service's side; details go to the log, never to the client.

A refusal that ends a session (`refusals.CLOSE_CODES`) sends its error frame first, then closes
with the reason ``"<status> <text>"`` (see `refusals.py`): a client reads why from either.
"""

AUTHENTICATION_FAILED_40001 = 40001
MALFORMED_JSON_40002 = 40002
NOT_AN_OBJECT_40003 = 40003
MISSING_TYPE_40004 = 40004
UNKNOWN_TYPE_40005 = 40005
INVALID_PAYLOAD_40006 = 40006
BINARY_NOT_SUPPORTED_40007 = 40007
# Valid JSON the service does not take: nested deeper than MAX_JSON_DEPTH, or an integer
# outside the 64-bit range (it would lose precision).
UNSUPPORTED_JSON_40008 = 40008
# A ``refresh`` whose token is invalid, expired or for another user; the session goes on
# under the old token (and ends when that one expires).
REFRESH_REFUSED_40009 = 40009
# A join, chat, history or presence request the token's rights do not allow (permissions.py);
# the frame names the ``room`` and the ``capability``. A refused join is no membership.
FORBIDDEN_40301 = 40301
# Per message; when it goes on (RATE_LIMIT_STRIKES in a row), also the end of the session
# (close 1008): the client backs off, then reconnects; it is never an authentication failure.
RATE_LIMITED_42901 = 42901
# The token expired during the session (no refresh came in time): close 1008, get a new one.
TOKEN_EXPIRED_40101 = 40101
# An endpoint for clients without a token, with ANONYMOUS_MAX_CONNECTIONS=0: close 1008.
ANONYMOUS_ACCESS_OFF_40302 = 40302
# A frame over MAX_MESSAGE_BYTES (ANONYMOUS_MAX_MESSAGE_BYTES without a token): close 1009.
MESSAGE_TOO_BIG_41301 = 41301
# Rooms (handlers/rooms.py) use 4001x / 5001x.
NOT_IN_ROOM_40010 = 40010
INTERNAL_ERROR_50001 = 50001
BROKER_UNAVAILABLE_50010 = 50010
# The chat may have been published (e.g. Redis timed out): retry it with the same "id".
PUBLISH_OUTCOME_UNKNOWN_50011 = 50011
# MAX_CONNECTIONS (or the anonymous pool) is full: close 1013, reconnect after a backoff.
SERVER_AT_CAPACITY_50301 = 50301
# The client fell SEND_QUEUE_SIZE frames behind: close 1013, reconnect and resume.
CLIENT_TOO_SLOW_50302 = 50302
