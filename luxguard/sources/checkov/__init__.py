"""checkov as a second gate: Pulumi captures as Terraform plans, Terraform/CloudFormation scans,
and luxguard's own rules exported as checkov custom policies.

checkov lives in its own virtualenv (.venv-checkov, see requirements-checkov.txt) because its
pins (packaging<24, boto3==1.35.49) cannot coexist with pulumi; it always runs as a subprocess.
Nothing here is imported by `luxguard check` unless --with-checkov is given.
"""
