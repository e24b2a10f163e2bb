"""People and their access: accounts and roles (`users`), login and sessions (`auth`),
throttling (`throttle`), passwords, profiles, names (`naming`) and credential slips.
"""
