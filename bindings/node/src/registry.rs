//! registry bindings (in progress)
