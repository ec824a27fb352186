"""The resident's journey: its steps, the table of transitions, and what each part of it does."""
