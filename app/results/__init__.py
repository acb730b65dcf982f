"""From stored answers to figures: the wave's table, weights, estimates, suppression, trends."""
