"""The form model: the spec file parsed into typed objects, and its rules."""
