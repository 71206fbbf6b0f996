"""TACoS moment localization dataset (TFDS builder `tacos`)."""
