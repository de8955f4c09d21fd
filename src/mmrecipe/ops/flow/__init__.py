# Flow-control family: fan_out / join_branch branches, set_fields, score_gate thresholds.
# Imported by the registry's discovery only (and tests).
