//! features bindings (in progress)
