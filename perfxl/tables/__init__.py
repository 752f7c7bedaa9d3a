"""Finding tables: sheet grids to ``Table`` records — merged-cell geometry, the label
vocabulary, locating tables by their labels, parsing their fields, normalising free text."""
