//! placeholder: filled by the features work
