"""The kiosk's touch UI (Kivy). Observes kiosk.journey and sends it intents; decides nothing."""
