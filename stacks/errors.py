"""The one error a stack raises for a configuration it refuses to deploy."""


class StackConfigError(ValueError):
    """A stack's configuration would break the privacy policy or is incomplete.

    A ValueError so that callers validating arguments can catch both alike; the message
    always says what is wrong and how to fix it.
    """
