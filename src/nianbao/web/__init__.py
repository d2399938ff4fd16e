"""`nianbao serve`: the collection workspace as web pages on this computer or a small office network."""
