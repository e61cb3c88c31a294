"""Assessment (考核督查): responsibility tasks, indicators and targets, county scorecards, bulletins."""
