"""What officials and the public read: dashboard and agency pages, charts, methodology, downloads."""
