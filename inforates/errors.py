"""Errors shown to users as one line (no traceback) by the ``inforates`` command."""


class RecipeError(ValueError):
    """A recipe or command-line value is wrong; the message is one line saying what and where."""
