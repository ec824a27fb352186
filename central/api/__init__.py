"""Central's HTTP face: routes, kiosk signatures, the request log, metrics, the tracking pages."""
