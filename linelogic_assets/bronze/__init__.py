"""Bronze: immutable raw responses with manifests, checkpoints and contracts."""
