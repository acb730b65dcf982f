"""Figures about the figures (issues 19 and 20): as collected beside after review, and small units'
empirical-Bayes estimates beside their direct ones."""
