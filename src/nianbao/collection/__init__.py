"""A collection round on the clerk's own PC: the workspace folder, its record (SQLite) of every file received,
which version of each unit counts, what was accepted, and who did what."""
