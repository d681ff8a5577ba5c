"""Tries of the pyramid screens on real imagery: screen models and their false alarms."""
