"""Why a token was refused."""


class AuthError(Exception):
    """A token was refused for a reason worth telling the client (e.g. "token expired")."""
