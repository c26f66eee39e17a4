error("broken: not ready")
