"""HoneyPipe (Bee-8B): curation of existing VQA data with verified chain-of-thought enrichment."""
