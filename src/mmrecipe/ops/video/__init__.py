# Video ops (issue 22): intake, frame sampling, shot-aware frame pairs, frame-hash dedup.
# Helpers they share (PyAV probing, PySceneDetect shots) live in mmrecipe.video.
