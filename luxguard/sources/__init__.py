"""Sources: what turns a Pulumi program, a saved plan, a live account, a stack state or IaC files into resources."""
