"""Feedback cases (phản ánh, kiến nghị): opening, handling, deadlines and figures."""
