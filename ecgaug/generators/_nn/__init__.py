"""Network building blocks shared by ecgaug's generators (private)."""
