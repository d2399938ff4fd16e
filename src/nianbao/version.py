"""nianbao's version: one place, read by the package, its wheel, the record's kept results and the files it writes."""

__version__ = "0.1.0"
