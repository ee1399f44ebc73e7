//! Following a file by path, surviving rotation and truncation.
