"""Platform-neutral commands: parsing, handlers, and the router that ties them."""
