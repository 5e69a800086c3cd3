"""checkov's built-in checks beside luxguard's rules: Pulumi captures as Terraform plans, and
Terraform/CloudFormation files as they are (luxguard's rules judge those on the model, not here).

checkov lives in its own virtualenv (.venv-checkov, see requirements-checkov.txt) because its
pins (packaging<24, boto3==1.35.49) cannot coexist with pulumi; it always runs as a subprocess.
A Pulumi `luxguard check` imports nothing here unless --with-checkov is given.
"""
