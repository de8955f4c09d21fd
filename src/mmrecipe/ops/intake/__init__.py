# Intake family: reading images safely, exact/near/semantic dedup, image quality filters.
# Imported by the registry's discovery only; its helpers (semdedup) by this family and tests.
