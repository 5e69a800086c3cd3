"""A guard that only runs at deploy time, as some public examples have."""
import pulumi
import pulumi_aws as aws

if not pulumi.runtime.is_dry_run():
    raise RuntimeError("this branch runs only during `pulumi up`")

key = aws.kms.Key("key", enable_key_rotation=True)
key.arn.apply(lambda arn: pulumi.log.info(f"key {arn}") if pulumi.runtime.is_dry_run() else None)
