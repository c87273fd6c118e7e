//! placeholder: filled by the registry work
