"""The school's server-rendered pages, phone first."""
