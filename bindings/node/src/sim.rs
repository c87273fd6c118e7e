//! sim bindings (in progress)
