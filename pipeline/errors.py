"""The product's root exception.

Every error the product raises on purpose derives from ``SmurfError``; the CLI prints
their message as one line (a traceback only with ``--debug``), and so does a notebook; a
query DuckDB refused keeps DuckDB's lines, whose caret points into the query.
Each area has its own subtree, drawn in its own module docstring::

    SmurfError
    ├── ConfigError                     pipeline.config
    ├── StoreError                      pipeline.store.errors
    ├── RiotAPIError                    pipeline.riot.errors
    └── JobError                        pipeline.jobs.errors
"""


class SmurfError(Exception):
    """Base class of every error the product raises deliberately."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows of the error in a notebook (it asks any exception with this
        method): its class and message, as the CLI prints them, instead of a traceback
        through the product's code, which a message saying what to fix makes noise."""
        return [f"{type(self).__name__}: {self}"]


class ConfigError(SmurfError):
    """A setting or option has a value the product cannot use."""


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: for echoing what a user gave in a message
    (an argument may be 100,000 characters long)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
