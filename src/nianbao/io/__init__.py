"""Reading and writing files: workbooks, rosters, values typed into cells, identity, safe paths."""
