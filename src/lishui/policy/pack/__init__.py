"""Policy packs: the model, the YAML loader, checks, diffs and versions."""
