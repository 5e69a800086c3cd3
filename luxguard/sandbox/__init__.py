"""The sandbox: a local cloud and a provisioner for the demo and tests."""
