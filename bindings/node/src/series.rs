//! series bindings (in progress)
