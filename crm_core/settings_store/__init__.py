"""Settings an administrator edits at run time (letterheads, number patterns): ``service``."""
