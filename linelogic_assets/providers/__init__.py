"""Provider clients (The Odds API v4, BALLDONTLIE) and their Dagster resources."""
