"""Open data (issue 20): versioned releases of a wave's published figures at stable URLs."""
