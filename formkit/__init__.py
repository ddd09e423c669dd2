"""formkit: run an administrative reform index (Chỉ số CCHC) campaign on Excel and Word."""

__version__ = "0.1.0"
