//! What a person may do with their own account as a whole: download it, or erase it.

pub mod self_service;
