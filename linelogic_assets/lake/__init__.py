"""Shared lake machinery every layer imports: paths, reads of raw and table partitions, atomic writes,
quarantine records and the check framework. No layer owns it; no provider is named here."""
