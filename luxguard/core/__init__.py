"""The core: the normalised model, the rule catalogue and its operators, locations and the engine."""
