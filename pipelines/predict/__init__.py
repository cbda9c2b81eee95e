"""Predict: who will still buy and what they are worth (BG/NBD and Gamma-Gamma)."""
