"""The report's first page: what ran, on which data and imagery, and the headline figures."""
