"""Online public service platform: providers, demands, matching, engagements, the Lishui showcase."""
