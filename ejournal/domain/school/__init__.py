"""The school's own settings and clock: work types, its time zone and «today».

Ready for the calendar, bell schedule and timetable of school set-up.
"""
