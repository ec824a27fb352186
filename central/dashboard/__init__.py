"""The fleet dashboard in the browser: hall managers, technicians and the city administrator
see their halls' kiosks and change their settings (routes.py, views.py)."""
