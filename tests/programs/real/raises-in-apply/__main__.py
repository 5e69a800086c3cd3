"""A program whose .apply callback fails."""
import pulumi
import pulumi_aws as aws


def parse_account(arn: str) -> str:
    return arn.split(":")[7]   # IndexError: an ARN has six fields


key = aws.kms.Key("key", enable_key_rotation=True)
pulumi.export("account", key.arn.apply(parse_account))
