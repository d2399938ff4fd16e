"""nianbao (年报): generate, check and sum the figures of the annual government-information reports."""

__version__ = "0.1.0"
