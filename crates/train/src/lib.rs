//! placeholder: filled by the training work
