"""Semi-supervised synergy bounds and accuracy bounds (see DESIGN §4); not implemented yet."""
