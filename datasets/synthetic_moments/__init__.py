"""Built-in synthetic cooking benchmark (TFDS builder `synthetic_moments`)."""
