"""What visitors see of the portal: its identity, home page and legal pages."""
