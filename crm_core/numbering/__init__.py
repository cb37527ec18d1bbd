"""Document numbers from configurable series (``SO202612-0001``): ``service.next_number``."""
