"""CSV files for `baton import`: reading a file's text and rows, and reading it ahead."""
