"""The ID photo: live quality checks with guidance, the permit crop, face verification.

* ``faces``: FaceFinder, faces with landmarks, head pose, eyes and mouth (mediapipe).
* ``quality``: every check as a CheckResult; ``assess(image)`` -> Assessment.
* ``guidance``: GuidanceStabiliser, one steady instruction at a time, ready to capture.
* ``crop``: ``permit_photo(image)`` -> JPEG bytes to the configured spec.
* ``verify``: ``verify(live, chip)`` -> Verification (dlib ResNet face templates).
* ``messages``: the guidance sentences in Chinese and English.

Importing this package loads no model: the models start on first use.
"""
