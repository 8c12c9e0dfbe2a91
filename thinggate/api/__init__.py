"""Front doors: each package translates one vendor's wire API to core calls."""
