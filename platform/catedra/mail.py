import sys

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend


class ConsoleEmailBackend(DjangoConsoleBackend):
    """Development mail: messages are printed to stderr, so a command's stdout stays its answer."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
