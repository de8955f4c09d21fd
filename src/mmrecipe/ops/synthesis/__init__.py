"""Synthesis ops (``synth_*`` and text placed on the user's images); generators live in
:mod:`mmrecipe.synth`."""
