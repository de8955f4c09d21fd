from mmrecipe.cli import entry

entry()
