//! Integration tests live in `tests/`; shared setup is in `extref-testkit`.
