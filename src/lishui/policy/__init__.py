"""Policy engine: policy packs as dated data, the rule language, single and batch evaluation."""
