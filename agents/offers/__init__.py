"""Offer intelligence: compare each offer with its local market and flag the outliers."""
