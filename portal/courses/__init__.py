"""First-aid courses: sessions, sign-up with a capacity that never overbooks, a waiting list."""
