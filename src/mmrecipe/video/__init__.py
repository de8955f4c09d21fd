"""Video helpers shared by the video ops, readers and backends: probing, frame access,
shot detection and frame hashes (PyAV and PySceneDetect)."""
