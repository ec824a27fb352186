"""The demo: the kiosk on simulated devices walked by an autopilot resident, and the dashboard photographed.

run.py           `make demo`: central, enrolment, the kiosk process, the dashboard, the console
kiosk_demo.py    the kiosk process: the real Kivy app, driven through the journeys
journeys.py      the journeys, as scripts (data); journey_calls.py every call into the journey
runner.py        drives the app through the journeys and takes the pictures (autopilot.py taps)
central_acts.py  what the hall manager and the technician do at central meanwhile
dashboard.py     the fleet dashboard's pages, photographed in headless Chromium
report.py        summary.json and the console's lines; contact_sheet.py writes index.html
logs.py          every log line to <output>/logs/, only progress on the console
"""
