"""The form model: the spec file parsed into typed objects, and its rules."""

DEFAULT_FORM = "gov-info-disclosure-2021"  # here, not in spec.py: the command's option defaults need only the name
