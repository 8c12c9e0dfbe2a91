"""thinggate's tests, laid out as the package (core/, api/<door>/, integrations/<name>/, storage/)."""
