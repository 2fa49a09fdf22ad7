"""The product's root exception.

Every error the product raises on purpose derives from ``SmurfError``; the CLI prints
their message as one line (a traceback only with ``--debug``). Each area has its own
subtree, drawn in its own module docstring::

    SmurfError
    ├── ConfigError                     pipeline.config
    ├── StoreError                      pipeline.store.errors
    ├── RiotAPIError                    pipeline.riot.errors
    └── JobError                        pipeline.jobs.errors
"""


class SmurfError(Exception):
    """Base class of every error the product raises deliberately."""


class ConfigError(SmurfError):
    """A setting or option has a value the product cannot use."""


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: for echoing what a user gave in a message
    (an argument may be 100,000 characters long)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
