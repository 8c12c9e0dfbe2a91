"""Device backends: each a package declaring its vendors and thing classes."""
