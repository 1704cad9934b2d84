"""Documents: file checks, PDF and text parsing, headings, passages."""
