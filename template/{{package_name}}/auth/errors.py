"""Why a token was refused."""

# Also the close reason of a session whose token expired before it was refreshed.
TOKEN_EXPIRED = "token expired"


class AuthError(Exception):
    """A token was refused for a reason worth telling the client (e.g. "token expired")."""
