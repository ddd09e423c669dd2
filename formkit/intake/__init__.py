"""Reading returned files: open safely, identify, verify, validate, record."""
