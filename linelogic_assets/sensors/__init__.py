"""Sensors: pregame snapshot windows, results until final, and failure alerts."""
