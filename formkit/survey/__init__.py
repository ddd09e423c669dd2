"""The sociological survey: respondent groups, questionnaires, answers and survey scores."""
