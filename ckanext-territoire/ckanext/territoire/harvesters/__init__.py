"""Partner harvesters, one module per protocol, on ckanext-harvest."""
