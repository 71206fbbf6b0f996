"""Your own moment localization data (TFDS builder `moment_features`)."""
