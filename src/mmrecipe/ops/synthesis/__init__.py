# Synthesis ops (synth_*): source ops over the generators of mmrecipe.synth, and the ops that
# check or rewrite what they made. Imported by the registry's walk; nothing imports from here.
