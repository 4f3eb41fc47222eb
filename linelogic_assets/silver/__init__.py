"""Silver: bronze of one sport × slate date → canonical Parquet tables, with their checks."""
