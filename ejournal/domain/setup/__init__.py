"""Setting up a real school: imports of class lists (and later staff, КТП, calendar)."""
