//! Non-bar series (funding rates, ...): filled by the download work.
