"""servingstack."""
