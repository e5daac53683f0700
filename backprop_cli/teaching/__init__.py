"""Teaching: the worked solution as data (steps), reading a student's answers (answers) and grading them
(grading).

May import: base, language, engine. Never formats for a screen: render/ does that.
"""
