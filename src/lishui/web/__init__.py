"""The shared page toolkit: request plumbing, guards, templating, layout, static assets."""
