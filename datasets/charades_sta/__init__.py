"""Charades-STA moment localization dataset (TFDS builder `charades_sta`)."""
