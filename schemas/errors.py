"""One error hierarchy: every failure a user can meet is a PropmineError with a one-line message."""


class PropmineError(Exception):
    """Base of all of propmine's errors; str(err) is the one line a user sees."""

    exit_code = 1


class InputError(PropmineError):
    """The input cannot be read: missing, corrupt, encrypted, empty, wrong encoding, too long."""

    exit_code = 2


class ExtractionError(PropmineError):
    """A model or extractor failed on input that was itself readable."""

    exit_code = 3


class ConfigError(PropmineError):
    """A setting, option, model path or adapter is wrong or missing."""

    exit_code = 4
