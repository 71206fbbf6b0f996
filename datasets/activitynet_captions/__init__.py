"""ActivityNet Captions moment localization dataset (TFDS builder `activitynet_captions`)."""
