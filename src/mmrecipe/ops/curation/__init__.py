# Curation family: HoneyPipe QA judging and CoT, rule filters, domains, mixture, CoMM filters.
# Imported by the registry's discovery and tests; honeypipe/ and interleaved are its own helpers.
