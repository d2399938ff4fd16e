"""What the tool does with a form: generate, check, annotate, merge, report, import."""
