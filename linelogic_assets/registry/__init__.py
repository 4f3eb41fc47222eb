"""Canonical reference data: teams per league with provider ids and aliases."""
