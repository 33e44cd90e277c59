//! Wardcast.
